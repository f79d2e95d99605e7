"""GoAlert's own handoff time math, ported to report where it disagrees with handoff's grid.

A faithful port of GoAlert's `schedule/rotation.Rotation.EndTime` (with `util/timeutil`'s
AddClock, ClockDiff, FirstOfDay and IsDST) and of the rotation manager's version-1 end time
(`engine/rotationmanager/legacyadvance.go`), on Go's time semantics: `time.Date` resolves a
wall-clock time by the offset in force at that wall time read as UTC (so gap and repeated
times land where Go puts them), `AddDate` lets a day overflow into the next month, and
`Truncate(time.Minute)` floors. It exists only to list the rotations whose next handoff would
differ (time-grid.md, "Relation to GoAlert"); handoff never uses it to hand off.

Instants are integers of microseconds since the Unix epoch (a `shift_start` keeps its
microseconds); clock values (GoAlert's `timeutil.Clock`) are microseconds too. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

US = 1_000_000
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_CLOCK_HOURS = {"hourly": 1, "daily": 24, "weekly": 168}
# GoAlert's monthEndTime panics past this many steps (a rotation thousands of shifts old).
MAX_MONTH_STEPS = 10_000


class GoAlertPanic(RuntimeError):
    """GoAlert's own code would panic on this input (too many monthly iterations)."""


def to_us(t: datetime) -> int:
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def from_us(t: int) -> datetime:
    return _EPOCH + timedelta(microseconds=t)


def _local(zone: ZoneInfo, t: int) -> datetime:
    return from_us(t).astimezone(zone)


def _offset(zone: ZoneInfo, t: int) -> int:
    """Seconds east of UTC in force at instant `t` (Go's `t.Zone()`)."""
    offset = from_us(t).astimezone(zone).utcoffset()
    assert offset is not None
    return offset.days * 86_400 + offset.seconds


def go_date(
    zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int, second: int, us: int
) -> int:
    """Go's `time.Date`: fields out of range carry over, and the wall time is resolved by the
    offset in force at that wall time read as UTC, corrected once (Go's `Location.lookup`)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    days = date(year, month, 1).toordinal() - _EPOCH_ORDINAL + day - 1
    wall = days * 86_400 + hour * 3600 + minute * 60 + second
    guess = _offset(zone, wall * US)
    offset = _offset(zone, (wall - guess) * US)
    return (wall - offset) * US + us


def _add_date(zone: ZoneInfo, t: int, months: int, days: int) -> int:
    w = _local(zone, t)
    return go_date(
        zone, w.year, w.month + months, w.day + days, w.hour, w.minute, w.second, w.microsecond
    )


def _truncate_minute(t: int) -> int:
    return t - t % MINUTE


def _start_of_day(zone: ZoneInfo, t: int) -> int:
    w = _local(zone, t)
    return go_date(zone, w.year, w.month, w.day, 0, 0, 0, 0)


def _is_dst(zone: ZoneInfo, t: int) -> tuple[bool, int, int]:
    """timeutil.IsDST: a change of offset within 24 h after t, its clock time and size.

    Finds the minute with Go's `sort.Search` (a binary search), as GoAlert does.
    """
    old, new = _offset(zone, t), _offset(zone, t + DAY)
    if old == new:
        return False, 0, 0
    low, high = 0, 24 * 60
    while low < high:
        middle = (low + high) >> 1
        if _offset(zone, t + middle * MINUTE) != new:
            low = middle + 1
        else:
            high = middle
    return True, low * MINUTE, (new - old) * US


def _first_of_day(zone: ZoneInfo, clock: int, t: int) -> int:
    """timeutil.Clock.FirstOfDay."""
    w = _local(zone, t)
    t = go_date(zone, w.year, w.month, w.day, 0, 0, 0, 0)
    dst, at, change = _is_dst(zone, t)
    if not dst or clock < at:
        return t + clock
    if change > 0 and clock < at + change:
        return t + at
    return t + clock - change


def _add_clock(zone: ZoneInfo, t: int, clock: int) -> int:
    """timeutil.AddClock."""
    w = _local(zone, t)
    clock += w.hour * HOUR + w.minute * MINUTE
    days, clock = divmod(clock, DAY)
    start = _start_of_day(zone, t)
    if days != 0:
        start = _add_date(zone, start, 0, days)
    return _first_of_day(zone, clock, start)


def _clock_diff(zone: ZoneInfo, a: int, b: int) -> int:
    """timeutil.ClockDiff."""
    return b - a + (_offset(zone, b) - _offset(zone, a)) * US


@dataclass(frozen=True, slots=True)
class GoRotation:
    """The fields of GoAlert's `rotation.Rotation` that its time math reads."""

    type: str
    shift_length: int
    start: datetime
    zone: ZoneInfo

    def end_time(self, t: int) -> int:
        """rotation.EndTime: the end of the shift active at t (GoAlert says it is after t)."""
        length = self.shift_length if self.shift_length > 0 else 1
        t = _truncate_minute(t)
        start = _truncate_minute(to_us(self.start))
        if self.type == "monthly":
            return self._month_end_time(start, length, t)
        clock_length = length * _CLOCK_HOURS[self.type] * HOUR
        remainder = _clock_diff(self.zone, start, t) % clock_length
        return _add_clock(self.zone, t, clock_length - remainder)

    def _month_end_time(self, start: int, length: int, t: int) -> int:
        """rotation.monthEndTime, its recursion as a loop."""
        for n in range(1, MAX_MONTH_STEPS + 1):
            if t >= start:
                following = _add_date(self.zone, start, length * n, 0)
                if following > t:
                    return following
            elif _add_date(self.zone, start, -length * n, 0) <= t:
                return _add_date(self.zone, start, -length * (n - 1), 0)
        raise GoAlertPanic("too many iterations")

    def version1_end_time(self, shift_start: int) -> int:
        """rotationmanager.calcVersion1EndTime: the end time of a version-1 state."""
        if self.type != "hourly":
            return self.end_time(shift_start)
        current = _truncate_minute(to_us(self.start))
        if current > shift_start:
            last = current
            while current > shift_start:
                last = current
                current = self._legacy_add_hours(current, -self.shift_length)
            return last
        while current <= shift_start:
            current = self._legacy_add_hours(current, self.shift_length)
        return current

    def _legacy_add_hours(self, t: int, n: int) -> int:
        """legacyAddHoursAlwaysInc: wall-clock hours, moved on until the instant moves."""

        def add(hours: int) -> int:
            w = _local(self.zone, t)
            return go_date(
                self.zone,
                w.year,
                w.month,
                w.day,
                w.hour + hours,
                w.minute,
                w.second,
                w.microsecond,
            )

        result = add(n)
        while (result >= t) if n < 0 else (result <= t):
            n += -1 if n < 0 else 1
            result = add(n)
        return result


def goalert_next_handoff(
    rot: GoRotation, shift_start: datetime, version: int, now: datetime
) -> datetime:
    """When GoAlert's rotation manager would next hand off a rotation with this state.

    A current version-2 state hands off at EndTime(shift_start). A version-1 state, or one
    whose shift GoAlert should already have ended, is rewritten by GoAlert's next run with
    `shift_start = now()` (RotMgrUpdate), so its next handoff is EndTime(now).
    """
    start, at = to_us(shift_start), to_us(now)
    if version != 1:
        first = rot.end_time(start)
        if first > at:
            return from_us(first)
    return from_us(rot.end_time(at))


def goalert_advances(rot: GoRotation, shift_start: datetime, version: int, now: datetime) -> int:
    """How many positions GoAlert's next run would advance a state (rotationmanager.calcAdvance:
    a version-1 state walks with the version-1 end time; more than 10,000 steps panic)."""
    end = rot.version1_end_time if version == 1 else rot.end_time
    at = to_us(now)
    shift = end(to_us(shift_start))
    if shift > at:
        return 0
    for count in range(1, MAX_MONTH_STEPS + 1):
        following = end(shift)
        if following > at:
            return count
        shift = following
    raise GoAlertPanic("too many rotation advances")
