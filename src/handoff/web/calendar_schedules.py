"""Schedules on the calendar page: each schedule's final on-call as a row above the rotations
(schedules.md: "the calendar can show schedules as rows"), placed on the viewer's days by the
same `calendar_layout.Ruler` as the rotations' lanes (pure).

A bar is one final interval: everyone on call in it (a `union` schedule may have several), or
nobody (a gap, drawn grey as a rotation's nobody). The first page of lanes draws at most
LANES[view] schedules and says how many more there are, as it does for rotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from handoff.schedules import Shift
from handoff.store.schedules import CalendarRow
from handoff.web.calendar_layout import DAYS_PER_WEEK, Period, Ruler

LANES = {"week": 10, "month": 4}


@dataclass(frozen=True, slots=True)
class Bar:
    key: str  # unique on the page
    schedule: CalendarRow
    shift: Shift
    name: str  # everyone on call, or "nobody"
    colour: int | None  # the first person's; None: nobody is on call (a gap)
    left: float
    width: float
    current: bool

    @property
    def override(self) -> bool:
        return self.shift.override_id is not None


@dataclass(frozen=True, slots=True)
class Lane:
    schedule: CalendarRow
    bars: list[Bar]


def _bars(
    row: CalendarRow,
    ruler: Ruler,
    now: datetime,
    names: Mapping[UUID, str],
    palette: Mapping[UUID, int],
    key: str,
) -> list[Bar]:
    found = []
    for i, s in enumerate(row.shifts):
        if s.start >= ruler.end or s.end <= ruler.start:
            continue
        left = ruler.at(s.start)
        who = ", ".join(names.get(u, "(deleted user)") for u in s.user_ids) or "nobody"
        colour = palette.get(s.user_ids[0]) if s.user_ids else None
        current = s.start <= now < s.end
        found.append(Bar(f"{key}s{i}", row, s, who, colour, left, ruler.at(s.end) - left, current))
    return found


def weeks(
    rows: list[CalendarRow],
    span: Period,
    zone: ZoneInfo,
    now: datetime,
    names: Mapping[UUID, str],
    palette: Mapping[UUID, int],
) -> list[list[Lane]]:
    """For each week of the period (as `calendar_layout.weeks`), a lane per schedule."""
    days = span.days
    result = []
    for w in range(0, len(days), DAYS_PER_WEEK):
        ruler = Ruler(days[w : w + DAYS_PER_WEEK], zone)
        result.append(
            [
                Lane(row, _bars(row, ruler, now, names, palette, f"qw{w}q{n}"))
                for n, row in enumerate(rows)
            ]
        )
    return result


def day_list(
    rows: list[CalendarRow],
    span: Period,
    zone: ZoneInfo,
    now: datetime,
    names: Mapping[UUID, str],
    palette: Mapping[UUID, int],
) -> dict[date, list[Bar]]:
    """For each of the period's own days (the phone list), the schedules' bars on it."""
    found = {}
    for d, day in enumerate(span.days):
        if span.shown(day):
            ruler = Ruler([day], zone)
            found[day] = [
                bar
                for n, row in enumerate(rows)
                for bar in _bars(row, ruler, now, names, palette, f"qd{d}q{n}")
            ]
    return found
