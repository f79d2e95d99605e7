"""A rotation's projected shifts, or a schedule's final intervals, as an iCalendar feed (RFC
5545), one VEVENT per shift.

Feeds are bounded: at most MAX_FEED_EVENTS events, the earliest, as the feed's description
says (a feed token must not make the service build megabytes), here and in a person's feed
(handoff.api.routes.feeds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Entry:
    """One interval of a feed: who is on call (a rotation's one person, or a schedule's final
    result, which may hold several), and whether an override decides it."""

    start: datetime
    end: datetime
    user_ids: list[UUID]
    covering: bool


def rotation_entries(shifts: list[Shift]) -> list[Entry]:
    return [
        Entry(s.start, s.end, [] if s.user_id is None else [s.user_id], s.override_id is not None)
        for s in shifts
    ]


def feed(
    owner_id: UUID,
    owner_name: str,
    entries: list[Entry],
    names: dict[UUID, str],
    now: datetime,
    days: int,
) -> bytes:
    """The rotation's (or schedule's) intervals of the next `days` days with someone on call,
    the earliest MAX_FEED_EVENTS of them."""
    staffed = [e for e in entries if e.user_ids]  # nobody: no one's shift
    shown, hidden = staffed[:MAX_FEED_EVENTS], staffed[MAX_FEED_EVENTS:]
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", ical_text(f"{owner_name} on call"))
    describe(calendar, f"Shifts of {owner_name} in the next {days} days", _first(hidden))
    for entry in shown:
        who = ", ".join(names.get(u, str(u)) for u in entry.user_ids)
        covering = ", covering" if entry.covering else ""
        event = Event()
        event.add("uid", f"{owner_id}-{int(entry.start.timestamp())}@handoff")
        event.add("dtstamp", now)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", ical_text(f"{who} on call ({owner_name}{covering})"))
        event.add("description", "user_id: " + ", ".join(str(u) for u in entry.user_ids))
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def _first(hidden: list[Entry]) -> datetime | None:
    return hidden[0].start if hidden else None
