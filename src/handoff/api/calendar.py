"""A rotation's projected shifts as an iCalendar feed (RFC 5545), one VEVENT per shift.

Feeds are bounded: at most MAX_FEED_EVENTS events, the earliest, as the feed's description
says (a feed token must not make the service build megabytes), here and in a person's feed
(handoff.api.routes.feeds).
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from icalendar import Calendar, Event, vText

from handoff.store.projections import Shift

PRODID = "-//handoff//on-call rotations//EN"
MAX_FEED_EVENTS = 1000

# RFC 5545 (3.1, CONTROL) allows no control character but HTAB in a property value. Names are
# refused with one since the API checks them, but rows written by plain SQL may still hold one.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]+")


def ical_text(value: str) -> vText:
    """A TEXT value for any feed: control characters (a line feed in a name) become a space,
    so a name can never break a content line or end the feed early."""
    return vText(_CONTROL.sub(" ", value))


def describe(calendar: Calendar, what: str, cut_at: datetime | None) -> None:
    """The feed's description: what it holds, its bound, and from when it leaves events out."""
    said = f"{what}, at most {MAX_FEED_EVENTS} (the earliest)"
    if cut_at is not None:
        said += f"; later ones are not shown, from {cut_at.isoformat()}"
    calendar.add("x-wr-caldesc", ical_text(said + "."))
    calendar.add("description", ical_text(said + "."))


def feed(
    rotation_id: UUID,
    rotation_name: str,
    shifts: list[Shift],
    names: dict[UUID, str],
    now: datetime,
    days: int,
) -> bytes:
    """The rotation's shifts of the next `days` days with someone on call, the earliest
    MAX_FEED_EVENTS of them."""
    staffed = [shift for shift in shifts if shift.user_id is not None]  # nobody: no one's shift
    shown, hidden = staffed[:MAX_FEED_EVENTS], staffed[MAX_FEED_EVENTS:]
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", ical_text(f"{rotation_name} on call"))
    describe(calendar, f"Shifts of {rotation_name} in the next {days} days", _first(hidden))
    for shift in shown:
        assert shift.user_id is not None
        name = names.get(shift.user_id, str(shift.user_id))
        covering = ", covering" if shift.override_id else ""
        event = Event()
        event.add("uid", f"{rotation_id}-{int(shift.start.timestamp())}@handoff")
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", ical_text(f"{name} on call ({rotation_name}{covering})"))
        event.add("description", f"user_id: {shift.user_id}")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def _first(hidden: list[Shift]) -> datetime | None:
    return hidden[0].start if hidden else None
