"""Rotations and times in words, for people reading the pages: pure, no I/O.

The phrases are computed from the same inputs as the grid (type, shift length, start, zone),
reading `start` on the rotation's wall clock, because that is how the grid itself counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_UNITS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
_HOURS_PER_DAY = 24
_LAST_SAFE_DAY = 28  # every month has at least this many days
_MINUTE = 60
_HOUR = 3600


def _every(unit: str, count: int) -> str:
    return f"every {unit}" if count == 1 else f"every {count} {unit}s"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st, ..."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe(type_: str, shift_length: int, start: datetime, time_zone: str) -> str:
    """How often and when a rotation hands off, read on its own wall clock.

    For example "hands off every 2 weeks, Monday 09:00 Europe/Berlin".

    Raises ValueError for a type the grid does not know; `start` must be aware.
    """
    if type_ not in _UNITS:
        raise ValueError(f"unknown rotation type {type_!r}")
    wall = start.astimezone(ZoneInfo(time_zone))
    every = _every(_UNITS[type_], shift_length)
    clock = f"{wall:%H:%M}"
    if type_ == "hourly":
        if shift_length == 1:
            return f"hands off every hour at :{wall:%M} {time_zone}"
        if _HOURS_PER_DAY % shift_length == 0:
            first = wall.hour % shift_length
            hours = [f"{h:02d}:{wall:%M}" for h in range(first, _HOURS_PER_DAY, shift_length)]
            return f"hands off {every} at {_join(hours)} {time_zone}"
        return f"hands off {every}, counting from {wall:%Y-%m-%d %H:%M} {time_zone}"
    if type_ == "daily":
        return f"hands off {every} at {clock} {time_zone}"
    if type_ == "weekly":
        return f"hands off {every}, {wall:%A} {clock} {time_zone}"
    day = ordinal(wall.day)
    if wall.day > _LAST_SAFE_DAY:
        day += " (or the month's last day)"
    return f"hands off {every} on the {day} at {clock} {time_zone}"


def format_lag(lag: timedelta) -> str:
    """A handoff's lag (processed - boundary) at a precision that matters for its size.

    Milliseconds while it is under a second (the engine's target is 200 ms), then seconds,
    minutes and hours: "0.042 s", "3.5 s", "2 min 5 s", "3 h 20 min".
    """
    seconds = lag.total_seconds()
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        return f"{sign}{seconds:.3f} s"
    if seconds < _MINUTE:
        return f"{sign}{seconds:.1f} s"
    whole = int(seconds)
    if whole < _HOUR:
        return f"{sign}{whole // _MINUTE} min {whole % _MINUTE} s"
    return f"{sign}{whole // _HOUR} h {whole % _HOUR // _MINUTE} min"


def in_zone(instant: datetime, time_zone: str) -> str:
    """An instant on a zone's wall clock with its abbreviation: "Mon 30 Nov 2026 09:00 CET"."""
    wall = instant.astimezone(ZoneInfo(time_zone))
    return f"{wall:%a %d %b %Y %H:%M} {wall.tzname()}"


# ---- Overrides, scheduled changes and the on-call timeline (oncall.md) ----------------------

_SHORT = timedelta(days=6)  # a weekday alone names a day this close without doubt
NOBODY = "nobody"


def until(end: datetime, since: datetime, time_zone: str) -> str:
    """When something ends, on the rotation's wall clock, as short as is still clear: weekday
    and time within six days of `since` ("Tue 18:00"), the date too after that."""
    wall = end.astimezone(ZoneInfo(time_zone))
    if timedelta(0) <= end - since < _SHORT:
        return f"{wall:%a %H:%M}"
    return f"{wall:%a %d %b %Y %H:%M}"


def happened(
    cause: str,
    from_name: str | None,
    to_name: str | None,
    *,
    effective: bool = True,
    until_text: str | None = None,
) -> str:
    """A history row in words: what changed who is on call, and how.

    `from_name` and `to_name` are the row's persons (None: nobody); `until_text` is when the
    override of an `override_started` row ends, if it is still known.
    """
    old, new = from_name or NOBODY, to_name or NOBODY
    until_part = f" until {until_text}" if until_text else ""
    if cause == "override_started":
        if to_name is None:
            return f"nobody on call instead of {old}{until_part}"
        if from_name is None:
            return f"{new} on call{until_part}"
        return f"{new} covers {old}{until_part}"
    if cause == "override_ended":
        return f"{new} back on call" if to_name else "nobody on call"
    if cause == "user_deleted":
        return f"{old} removed (user deleted); {new} on call"
    if cause == "scheduled_change":
        moved = f": {old} → {new}" if from_name != to_name else f"; {new} stays on call"
        return "scheduled change applied" + moved
    if cause == "participant_removed":
        return f"{old} removed from the rotation; {new} on call"
    if from_name is None or cause in ("started", "imported"):
        return f"{new} on call" + (" (imported)" if cause == "imported" else "")
    line = f"{old} → {new}" if to_name else f"{old} → nobody on call"
    return line if effective else line + " (an override decides who is on call)"


def change_summary(
    *,
    type_: str | None,
    shift_length: int | None,
    start: str | None,
    time_zone: str | None,
    participants: list[str] | None,
    active_index: int | None,
) -> str:
    """What a scheduled change sets, in words ("weekly shifts; participants Ann, Bo, Ann").
    `start` is already in words (a wall time); `participants` are names, in order."""
    parts = []
    if type_ is not None or shift_length is not None:
        length = "" if shift_length is None else f"shift length {shift_length}"
        kind = "" if type_ is None else f"{type_} shifts"
        parts.append(", ".join(p for p in (kind, length) if p))
    if start is not None:
        parts.append(f"start {start}")
    if time_zone is not None:
        parts.append(f"time zone {time_zone}")
    if participants is not None:
        parts.append("participants " + (", ".join(participants) if participants else "none"))
    if active_index is not None:
        listed = participants or []
        named = f" ({listed[active_index]})" if active_index < len(listed) else ""
        parts.append(f"on call: position {active_index + 1}{named}")
    return "; ".join(parts)
