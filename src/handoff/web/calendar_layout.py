"""The calendar page's layout: a projection drawn on days of the viewer's time zone (pure).

A week is a row of seven equal columns, one per day of the viewer's wall clock, whatever the
day's length (23 or 25 hours on a DST night): an instant is placed in its own day's column, at
the fraction of that day gone by, so no shift ever leaks into the wrong day. The month view is
the same rows, one per week; the phone view is a list of days.

A page draws at most LANES[view] rotations (store.calendar's `limit`), and says how many more
there are: with two thousand rotations a month view was 160 MB of HTML and two minutes of work.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from handoff.store.calendar import PendingChange, Projection, Rotation, Segment
from handoff.web import colours as person_colours

VIEWS = ("week", "month")
# Rotations a calendar page draws at most, by view: a month lane is about four times a week
# lane's HTML and work (scenario 6 at 10,000 rotations: 40 week lanes were 942 KB in 342 ms, 40
# month lanes 3.3 MB in 1.3 s; the goal is 1 MB and 300 ms).
LANES = {"week": 30, "month": 8}
MAX_LANES = max(LANES.values())
DAYS_PER_WEEK = 7
_DAY = timedelta(days=1)
_WEEK = timedelta(days=DAYS_PER_WEEK)


@dataclass(frozen=True, slots=True)
class Period:
    """The days a view draws: whole weeks, Monday first; `month` is set for the month view."""

    view: str
    first: date
    last: date  # inclusive
    month: date | None
    previous: date
    next: date

    @property
    def title(self) -> str:
        if self.month is not None:
            return f"{self.month:%B %Y}"
        if self.first.year != self.last.year:
            return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"
        return f"{self.first:%d %b} – {self.last:%d %b %Y}"

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def shown(self, day: date) -> bool:
        """Whether a day belongs to the period (the month view pads its weeks with others)."""
        if self.month is None:
            return True
        return (day.year, day.month) == (self.month.year, self.month.month)


def period(view: str, anchor: date) -> Period:
    """The week (Monday to Sunday) or the month, padded to whole weeks, that holds `anchor`."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return Period(view, first, first + _WEEK - _DAY, None, anchor - _WEEK, anchor + _WEEK)
    if view != "month":
        raise ValueError(f"unknown view {view!r}")
    month = anchor.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    end = following - _DAY
    first = month - timedelta(days=month.weekday())
    last = end + timedelta(days=DAYS_PER_WEEK - 1 - end.weekday())
    return Period(view, first, last, month, (month - _DAY).replace(day=1), following)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the day begins on the zone's wall clock."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def bounds(days: Sequence[date], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants the first day begins and the day after the last begins."""
    return midnight(days[0], zone), midnight(days[-1] + _DAY, zone)


class Ruler:
    """Places instants along a row of days, in percent of the row."""

    def __init__(self, days: Sequence[date], zone: ZoneInfo) -> None:
        self._edges = [midnight(d, zone) for d in [*days, days[-1] + _DAY]]

    @property
    def start(self) -> datetime:
        return self._edges[0]

    @property
    def end(self) -> datetime:
        return self._edges[-1]

    def at(self, instant: datetime) -> float:
        if instant <= self.start:
            return 0.0
        if instant >= self.end:
            return 100.0
        index = bisect.bisect_right(self._edges, instant) - 1
        begin, end = self._edges[index], self._edges[index + 1]
        fraction = (instant - begin) / (end - begin)
        return 100 * (index + fraction) / (len(self._edges) - 1)


def colours(everyone: Sequence[UUID]) -> dict[UUID, int]:
    """One colour per person, from their id (`web.colours`), as on every other page."""
    return {user_id: person_colours.of(user_id) for user_id in everyone}


@dataclass(frozen=True, slots=True)
class Bar:
    """A segment as drawn: the whole segment's times, and where its visible part sits."""

    key: str  # unique on the page (the popover's id)
    segment: Segment
    rotation: Rotation
    name: str
    colour: int | None  # None: nobody is on call
    left: float
    width: float
    current: bool

    @property
    def override(self) -> bool:
        return self.segment.override_id is not None


@dataclass(frozen=True, slots=True)
class Marker:
    change: PendingChange
    rotation: Rotation
    left: float
    summary: str  # what the change sets, in words


def describe(projection: Projection, change: PendingChange) -> str:
    """What a change sets, in words: "type weekly, participants Ann, Bo"."""
    parts = []
    for name, value in change.fields.items():
        if name == "participants" and isinstance(value, list):
            value = ", ".join(projection.name(u) for u in value) or "nobody"
        elif isinstance(value, datetime):
            value = value.isoformat()
        parts.append(f"{name.replace('_', ' ')} {value}")
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Gap:
    """Time between two shifts of a rotation, outside its active hours (hours.md): nobody is
    on call and no shift is there, drawn hatched where it falls in the row."""

    start: datetime
    end: datetime
    left: float
    width: float


@dataclass(frozen=True, slots=True)
class Lane:
    rotation: Rotation
    bars: list[Bar]
    markers: list[Marker]
    gaps: list[Gap] = field(default_factory=list)


def _gaps(segments: Sequence[Segment], ruler: Ruler) -> list[Gap]:
    """The gaps between consecutive segments of one rotation that fall in the ruler's span."""
    found = []
    for before, after in itertools.pairwise(segments):
        if before.end < after.start and before.end < ruler.end and after.start > ruler.start:
            left = ruler.at(before.end)
            found.append(Gap(before.end, after.start, left, ruler.at(after.start) - left))
    return found


@dataclass(frozen=True, slots=True)
class DayCell:
    day: date
    shown: bool
    today: bool


@dataclass(frozen=True, slots=True)
class Week:
    cells: list[DayCell]
    lanes: list[Lane]
    now: float | None  # where now falls along the row, if it does


def _bar(
    segment: Segment,
    rotation: Rotation,
    projection: Projection,
    palette: dict[UUID, int],
    ruler: Ruler,
    now: datetime,
    key: str,
) -> Bar:
    left = ruler.at(segment.start)
    colour = palette.get(segment.user_id) if segment.user_id else None
    return Bar(
        key=key,
        segment=segment,
        rotation=rotation,
        name=projection.name(segment.user_id),
        colour=colour,
        left=left,
        width=ruler.at(segment.end) - left,
        current=segment.start <= now < segment.end,
    )


def weeks(
    projection: Projection, span: Period, zone: ZoneInfo, now: datetime, palette: dict[UUID, int]
) -> list[Week]:
    """The period's weeks, each with one lane per rotation of the projection."""
    today = now.astimezone(zone).date()
    result = []
    days = span.days
    by_rotation: dict[UUID, list[tuple[int, Segment]]] = {r.id: [] for r in projection.rotations}
    for i, s in enumerate(projection.segments):
        by_rotation[s.rotation_id].append((i, s))
    for w in range(0, len(days), DAYS_PER_WEEK):
        week_days = days[w : w + DAYS_PER_WEEK]
        ruler = Ruler(week_days, zone)
        lanes = []
        for r, rotation in enumerate(projection.rotations):
            bars = [
                _bar(s, rotation, projection, palette, ruler, now, f"w{w}r{r}s{i}")
                for i, s in by_rotation[rotation.id]
                if s.start < ruler.end and s.end > ruler.start
            ]
            markers = [
                Marker(c, rotation, ruler.at(c.effective_at), describe(projection, c))
                for c in projection.changes
                if c.rotation_id == rotation.id and ruler.start <= c.effective_at < ruler.end
            ]
            own = [s for _, s in by_rotation[rotation.id]]
            lanes.append(Lane(rotation, bars, markers, _gaps(own, ruler)))
        cells = [DayCell(d, span.shown(d), d == today) for d in week_days]
        inside = ruler.start <= now < ruler.end
        result.append(Week(cells, lanes, ruler.at(now) if inside else None))
    return result


@dataclass(frozen=True, slots=True)
class Day:
    """One day of the phone list: the bars that overlap it, and the changes on it."""

    day: date
    today: bool
    bars: list[Bar]
    markers: list[Marker]


def day_list(
    projection: Projection, span: Period, zone: ZoneInfo, now: datetime, palette: dict[UUID, int]
) -> list[Day]:
    """The period's own days (not the month view's padding), rotation by rotation in each."""
    today = now.astimezone(zone).date()
    order = {r.id: i for i, r in enumerate(projection.rotations)}
    result = []
    for d, day in enumerate(span.days):
        if not span.shown(day):
            continue
        ruler = Ruler([day], zone)
        bars = [
            _bar(
                s, projection.rotation(s.rotation_id), projection, palette, ruler, now, f"d{d}s{i}"
            )
            for i, s in enumerate(projection.segments)
            if s.start < ruler.end and s.end > ruler.start
        ]
        bars.sort(key=lambda b: (order[b.rotation.id], b.segment.start))
        markers = [
            Marker(
                c,
                projection.rotation(c.rotation_id),
                ruler.at(c.effective_at),
                describe(projection, c),
            )
            for c in projection.changes
            if ruler.start <= c.effective_at < ruler.end
        ]
        result.append(Day(day, day == today, bars, markers))
    return result


def wall(zone: ZoneInfo, instant: datetime, day: date | None = None) -> str:
    """An instant on the viewer's wall clock, short: "09:00" on `day`, else "Tue 01 Dec 09:00"."""
    local = instant.astimezone(zone)
    if local.date() == day:
        return f"{local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"
