"""A rotation's projected shifts as an iCalendar feed (RFC 5545), one VEVENT per shift."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from icalendar import Calendar, Event, vText

from handoff.store.projections import Shift

PRODID = "-//handoff//on-call rotations//EN"

# RFC 5545 (3.1, CONTROL) allows no control character but HTAB in a property value. Names are
# refused with one since the API checks them, but rows written by plain SQL may still hold one.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]+")


def ical_text(value: str) -> vText:
    """A TEXT value for any feed: control characters (a line feed in a name) become a space,
    so a name can never break a content line or end the feed early."""
    return vText(_CONTROL.sub(" ", value))


def feed(
    rotation_id: UUID,
    rotation_name: str,
    shifts: list[Shift],
    names: dict[UUID, str],
    now: datetime,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", ical_text(f"{rotation_name} on call"))
    for shift in shifts:
        if shift.user_id is None:
            continue  # an override with nobody on call: no one's calendar has this shift
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
