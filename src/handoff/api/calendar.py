"""A rotation's projected shifts as an iCalendar feed (RFC 5545), one VEVENT per shift."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from icalendar import Calendar, Event

from handoff.store.projections import Shift

PRODID = "-//handoff//on-call rotations//EN"


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
    calendar.add("x-wr-calname", f"{rotation_name} on call")
    for shift in shifts:
        name = names.get(shift.user_id, str(shift.user_id))
        event = Event()
        event.add("uid", f"{rotation_id}-{int(shift.start.timestamp())}@handoff")
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"{name} on call ({rotation_name})")
        event.add("description", f"user_id: {shift.user_id}")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
