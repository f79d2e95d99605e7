"""The handoff grid: when a shift ends (shared/spec/time-grid.md).

A rotation's handoff boundaries are wall-clock times ``S + k * step`` (hourly, daily, weekly) or
``S + k * L months`` with the day clamped (monthly), for every integer k, where S is the
rotation's start read on the wall clock of its time zone. Each wall-clock boundary is resolved to
an instant: gap times resolve to the transition instant, repeated times to their first occurrence.

Every lookup computes the boundary index k directly from the wall-clock reading of t and then
moves by at most a step or two, so its cost does not depend on how long ago the rotation started.
Pure: no I/O, stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "GRID_TYPES",
    "MAX_SHIFT_LENGTH",
    "MIN_SHIFT_LENGTH",
    "Grid",
    "GridType",
    "load_zone",
    "wall_instant",
    "zone_names",
]

GridType = Literal["hourly", "daily", "weekly", "monthly"]

GRID_TYPES: tuple[GridType, ...] = get_args(GridType)
MIN_SHIFT_LENGTH = 1
MAX_SHIFT_LENGTH = 9000

_STEP_HOURS: dict[str, int] = {"hourly": 1, "daily": 24, "weekly": 168}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MINUTE = timedelta(minutes=1)
_SECOND = timedelta(seconds=1)
# Two boundaries resolve to one instant only inside a spring-forward gap at least a step long.
# The tz database's longest gap is a day (Pacific/Apia, 2011; Asia/Manila, 1844), so only grids
# whose step is at most a day can have such pairs. An offset increase and the transition next
# to it are never closer than about four days (Africa/Freetown, 1935: 95.7 hours), so reading
# the offset every two days misses no gap. tests/core/test_grid.py checks both over the
# installed tz database.
_LONGEST_GAP = timedelta(days=1)
_GAP_SCAN = timedelta(days=2)
# Days per month, index 1..12; February is corrected for leap years in _month_days.
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_zones: dict[str, ZoneInfo] = {}
# Files in the tz database that are not zone names: the host's own zone (`localtime`, so a grid
# would change with the machine it is read on), the template for POSIX TZ strings, and the
# placeholder zone of installers.
_NOT_ZONE_NAMES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def zone_names() -> frozenset[str]:
    """The IANA zone names a rotation may use: the tz database's names (legacy aliases such as
    `US/Eastern` included), without the special files above and without the `posix/` and
    `right/` (leap-second) copies of the tree."""
    return frozenset(
        name
        for name in available_timezones()
        if name not in _NOT_ZONE_NAMES and not name.startswith(("posix/", "right/"))
    )


def load_zone(name: object) -> ZoneInfo:
    """Load an IANA zone by name, or raise a ValueError a user can read.

    The one check of a zone name: the grid, the API's schemas and the command line all use it.
    Only names that load are cached, so the cache is bounded by the tz database's size.
    """
    if not isinstance(name, str):
        raise ValueError(f"time_zone must be an IANA time zone name, got {name!r}")
    cached = _zones.get(name)
    if cached is not None:
        return cached
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or "\0" in name or ".." in parts:
        raise ValueError(f"time_zone must be an IANA time zone name, got {name!r}")
    if name not in zone_names():
        shown = name if len(name) <= 64 else name[:64] + "..."
        raise ValueError(
            f"unknown time zone {shown!r}: expected an IANA name such as 'Europe/Berlin'"
        )
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError, OSError, UnicodeError):
        # Listed but unreadable (a broken tz install): ZoneInfoNotFoundError is a KeyError,
        # non-TZif files raise ValueError, unreadable files OSError.
        raise ValueError(
            f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Berlin'"
        ) from None
    _zones[name] = zone
    return zone


def wall_instant(time_zone: str, wall: datetime) -> datetime:
    """The instant (UTC) of a naive wall-clock time in a zone, resolved as grid boundaries are:
    a time in a DST gap is the first instant after the gap, a repeated time its first
    occurrence. For wall times typed by people (the command line's `--start` without offset)."""
    if wall.tzinfo is not None:
        raise ValueError(f"wall time must be naive, got {wall.isoformat()}")
    return _resolve(load_zone(time_zone), wall)


def _require_aware(t: object, name: str) -> datetime:
    if not isinstance(t, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {t.isoformat()}")
    return t


def _resolve(zone: ZoneInfo, wall: datetime) -> datetime:
    """Map a naive wall-clock time in zone to its instant (aware, UTC).

    The instant is the first one whose wall-clock reading is >= wall: the unique instant for a
    time that exists once, the first occurrence for a repeated time, and the transition instant
    for a time inside a spring-forward gap.

    The offset with fold=0 is the one in force before any transition at wall, so wall minus it
    is the answer whenever that instant reads wall (a time that exists once, or the first
    occurrence of a repeated one); only a time in a gap, which no instant reads, needs the
    fold=1 offset. Checking the reading is two calls in C, where building the fold=1 datetime
    (and `replace`) costs several times as much: this runs once or twice per lookup.
    """
    before = zone.utcoffset(wall)
    assert before is not None
    instant = _EPOCH + (wall - _NAIVE_EPOCH - before)
    if instant.astimezone(zone).utcoffset() == before:
        return instant
    after = zone.utcoffset(wall.replace(fold=1))
    assert after is not None
    if before >= after:  # not a gap after all: keep the fold=0 reading, as always
        return instant
    return _gap_instant(zone, wall, wall - after, wall - before)


def _gap_instant(zone: ZoneInfo, wall: datetime, lo: datetime, hi: datetime) -> datetime:
    """The first instant in [lo, hi] (naive UTC) whose wall-clock reading is >= wall.

    lo reads before wall and hi reads at or after it, so bisecting to the second finds the
    transition that skips over wall.
    """
    while hi - lo > _SECOND:
        mid = lo + (hi - lo) // _SECOND // 2 * _SECOND
        if mid + _local_offset(zone, mid) >= wall:
            hi = mid
        else:
            lo = mid
    return hi.replace(tzinfo=UTC)


def _local_offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    """The UTC offset in force in zone at a naive UTC instant."""
    offset = instant.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _month_days(year: int, month: int) -> int:
    """How many days a month has."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month]


@dataclass(frozen=True, slots=True)
class Grid:
    """A rotation's handoff grid.

    ``start`` is normalised to the instant the grid uses: truncated to the whole minute, in UTC.
    Results are aware datetimes in UTC.
    """

    type: GridType
    shift_length: int
    start: datetime
    time_zone: str
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _wall_start: datetime = field(init=False, repr=False, compare=False)  # naive S
    # S as a distance from the naive epoch: step lookups compute in timedeltas, never building
    # a naive reading of t.
    _wall_start_since_epoch: timedelta = field(init=False, repr=False, compare=False)
    # S's fields, for monthly lookups: its month as a count of months since year 0, its day of
    # the month, and its time of day (hour, minute, second, microsecond).
    _month_index: int = field(init=False, repr=False, compare=False)
    _day: int = field(init=False, repr=False, compare=False)
    _time_of_day: tuple[int, int, int, int] = field(init=False, repr=False, compare=False)
    _step: timedelta | None = field(init=False, repr=False, compare=False)  # None when monthly

    def __post_init__(self) -> None:
        if self.type not in GRID_TYPES:
            allowed = ", ".join(GRID_TYPES)
            raise ValueError(f"type must be one of {allowed}, got {self.type!r}")
        length = self.shift_length
        if not isinstance(length, int) or isinstance(length, bool):
            raise ValueError(f"shift_length must be an integer, got {length!r}")
        if not MIN_SHIFT_LENGTH <= length <= MAX_SHIFT_LENGTH:
            raise ValueError(
                f"shift_length must be between {MIN_SHIFT_LENGTH} and {MAX_SHIFT_LENGTH},"
                f" got {length}"
            )
        start = _require_aware(self.start, "start")
        zone = load_zone(self.time_zone)
        start = _EPOCH + (start - _EPOCH) // _MINUTE * _MINUTE
        try:
            wall_start = start.astimezone(zone).replace(tzinfo=None, fold=0)
        except OverflowError:
            raise ValueError(f"start {start.isoformat()} is outside the supported range") from None
        hours = _STEP_HOURS.get(self.type)
        setattr_ = object.__setattr__
        setattr_(self, "start", start)
        setattr_(self, "_zone", zone)
        setattr_(self, "_wall_start", wall_start)
        setattr_(self, "_wall_start_since_epoch", wall_start - _NAIVE_EPOCH)
        setattr_(self, "_month_index", wall_start.year * 12 + wall_start.month - 1)
        setattr_(self, "_day", wall_start.day)
        w = wall_start
        setattr_(self, "_time_of_day", (w.hour, w.minute, w.second, w.microsecond))
        setattr_(self, "_step", None if hours is None else timedelta(hours=hours * length))

    def _boundary(self, k: int) -> datetime:
        """The instant of boundary number k."""
        step = self._step
        if step is None:  # S moved by k * L months, the day clamped to the month's last day
            year, month0 = divmod(self._month_index + k * self.shift_length, 12)
            if not 1 <= year <= 9999:
                raise OverflowError("date value out of range")
            day = self._day
            if day > 28:
                day = min(day, _month_days(year, month0 + 1))
            wall = datetime(year, month0 + 1, day, *self._time_of_day)
        else:
            wall = self._wall_start + k * step
        return _resolve(self._zone, wall)

    def _first_after(self, t: datetime) -> tuple[int, datetime]:
        """The smallest index k whose boundary is after t, and that boundary (end_time(t)).

        k is found from the wall-clock reading of t, never by walking the grid from its start:
        the largest index whose wall-clock boundary is <= that reading has an instant <= t
        (t itself reads at or after it), so the answer is the next index or, when t is in the
        second occurrence of a repeated hour, one or two after that.
        """
        if not isinstance(t, datetime) or t.tzinfo is None or t.utcoffset() is None:
            _require_aware(t, "t")  # raises the error a caller can read
        local = t.astimezone(self._zone)  # t's wall-clock reading
        step = self._step
        if step is None:
            length = self.shift_length
            k, into = divmod(local.year * 12 + local.month - 1 - self._month_index, length)
            if self._month_index + k * length < 12:  # boundary k would be before year 1
                raise OverflowError("date value out of range")
            # Boundary k falls in t's own month only when `into` is 0; it is then after t's
            # reading when its day (clamped to the month) and time of day come later.
            if into == 0:
                day = self._day
                if day > 28:
                    day = min(day, _month_days(local.year, local.month))
                if (day, *self._time_of_day) > (
                    local.day,
                    local.hour,
                    local.minute,
                    local.second,
                    local.microsecond,
                ):
                    k -= 1
        else:
            offset = local.utcoffset()
            assert offset is not None
            k = (t - _EPOCH + offset - self._wall_start_since_epoch) // step
        k += 1
        end = self._boundary(k)
        while end <= t:
            k += 1
            end = self._boundary(k)
        return k, end

    def end_time(self, t: datetime) -> datetime:
        """The smallest boundary instant strictly greater than t."""
        try:
            return self._first_after(t)[1]
        except OverflowError:
            raise _out_of_range(t) from None

    def start_time(self, t: datetime) -> datetime:
        """The largest boundary instant less than or equal to t."""
        try:
            return self._boundary(self._first_after(t)[0] - 1)
        except OverflowError:
            raise _out_of_range(t) from None

    def next_handoffs(self, t: datetime, n: int) -> list[datetime]:
        """The next n handoffs after t: end_time applied n times."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        try:
            k, end = self._first_after(t)
            handoffs = [end]
            while len(handoffs) < n:
                k += 1
                boundary = self._boundary(k)
                if boundary > end:  # boundaries that resolve to the same instant are one handoff
                    handoffs.append(boundary)
                    end = boundary
        except OverflowError:
            raise _out_of_range(t) from None
        return handoffs if n else []

    def handoffs_between(self, after: datetime, until: datetime) -> int:
        """How many handoffs lie in (after, until]: the boundary instants there, boundaries
        that resolve to one instant counted once (as next_handoffs counts them).

        Computed from the two boundary indices, not by walking the grid between them: a
        projection far ahead (who is on call in 2300) jumps to its shift with this. The
        indices count every boundary; the pairs that share an instant lie in spring-forward
        gaps, which are found from the zone's offsets only for grids whose step fits in one.
        """
        if until <= after:
            return 0
        step = self._step
        try:
            first, _ = self._first_after(after)
            beyond, _ = self._first_after(until)
            if step is None or step > _LONGEST_GAP:
                return beyond - first
            shared = sum(self._shared_in_gap(step, *gap) for gap in _gaps(self._zone, after, until))
        except OverflowError:
            raise _out_of_range(until) from None
        return beyond - first - shared

    def _shared_in_gap(self, step: timedelta, lo: datetime, hi: datetime) -> int:
        """How many boundaries k in the gap of wall times [lo, hi) resolve to the instant
        boundary k + 1 resolves to: those with lo <= wall_k <= hi - step (wall_k + step is in
        the gap too, or its end, which is the gap's instant)."""
        first = -((self._wall_start - lo) // step)  # the first k with wall_k >= lo
        last = (hi - step - self._wall_start) // step
        return max(0, last - first + 1)


def _gaps(zone: ZoneInfo, after: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The spring-forward gaps whose transition instant is in (after, until], as naive wall
    times [lo, hi)."""
    first, last = (t.astimezone(UTC).replace(tzinfo=None) for t in (after, until))
    for year in range(first.year, last.year + 1):
        for transition, lo, hi in _year_gaps(zone, year):
            if first < transition <= last:
                yield lo, hi


@lru_cache(maxsize=16_384)
def _year_gaps(zone: ZoneInfo, year: int) -> tuple[tuple[datetime, datetime, datetime], ...]:
    """A zone's spring-forward transitions in (1 January of `year`, 1 January of the next]
    (naive UTC) and their gaps' wall times: the offset read every `_GAP_SCAN`, each change
    found to the second (the tz database's transitions are whole seconds). Kept per year, so
    a long projection scans each year of its zone once."""
    at = datetime(year, 1, 1)
    end = datetime(year + 1, 1, 1) if year < datetime.max.year else datetime.max
    offset = _local_offset(zone, at)
    found: list[tuple[datetime, datetime, datetime]] = []
    while at < end:
        nxt = min(at + _GAP_SCAN, end)
        nxt_offset = _local_offset(zone, nxt)
        if nxt_offset != offset:
            lo, hi = at, nxt
            while hi - lo > _SECOND:
                mid = lo + (hi - lo) // _SECOND // 2 * _SECOND
                if _local_offset(zone, mid) == offset:
                    lo = mid
                else:
                    hi = mid
            if nxt_offset > offset:
                found.append((hi, hi + offset, hi + nxt_offset))
        at, offset = nxt, nxt_offset
    return tuple(found)


def _out_of_range(t: datetime) -> ValueError:
    return ValueError(f"no handoff boundary near {t.isoformat()} fits in the supported date range")
