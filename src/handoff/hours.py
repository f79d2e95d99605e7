"""Active hours: when a rotation is on call, and how its turns pass (shared/spec/hours.md).

A rotation's `active_hours` are weekly windows read on the wall clock of its time zone; the
*active period* is the union of their occurrences as instants, resolved as grid boundaries are
(a wall time in a DST gap is the first instant after it, a repeated one its first occurrence),
with occurrences that touch or overlap merged. Turns pass on the rotation's grid (`calendar`)
or after `shift_length` *active units* (`active`): a unit is one step of the grid with
`shift_length` 1, and it is active when any instant of it lies in the active period.

Pure: no I/O, stdlib only. The on-call projection (handoff.oncall) asks this module when the
period starts and ends and when a turn passes; everything else follows from that projection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from threading import Lock
from typing import Literal, get_args

from handoff.grid import Grid, load_zone, wall_instant
from handoff.rotation import first_boundary

__all__ = [
    "DAY_NAMES",
    "FOREVER",
    "MAX_WINDOWS",
    "TURNS",
    "ActiveHours",
    "HoursError",
    "Turns",
    "Window",
    "describe",
    "next_pass",
    "parse_spec",
    "parse_windows",
    "windows_json",
]

Turns = Literal["active", "calendar"]
TURNS: tuple[Turns, ...] = get_args(Turns)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WINDOWS = 28
# The end of a period that never ends (windows that cover the whole week).
FOREVER = datetime.max.replace(tzinfo=UTC)

_DAY = timedelta(days=1)
_TIME = re.compile(r"(\d\d):(\d\d)")
# An occurrence lasts under 26 hours (a day plus a DST shift), so one covering an instant began
# at most two wall dates earlier; a period still open after this many dates never closes.
_LOOK_BACK = 2
_OPEN_DATES = 9
# The periods kept per windows and date (_Merged; at most 4,096 such, so a few MB at worst):
# an engine run asks for one to three, a walk over a month a few more; later ones are found again.
_KEPT = 16


class HoursError(ValueError):
    """Invalid active hours: every fault found, as (field, message), the field naming the
    window (`active_hours[2].from`)."""

    def __init__(self, faults: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in faults))
        self.faults = tuple(faults)


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly window: on each of `days` (0 = Monday) from minute `start` of the day to minute
    `end` (1..1440), on the next day when `end <= start`."""

    days: tuple[int, ...]
    start: int
    end: int


def _minutes(value: object, *, allow_24: bool) -> tuple[int | None, str | None]:
    if not isinstance(value, str) or not (match := _TIME.fullmatch(value)):
        return None, f"must be a time 'HH:MM', got {value!r}"
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0 and allow_24:
        return 1440, None
    if hours > 23 or minutes > 59:
        limit = "00:00..24:00" if allow_24 else "00:00..23:59"
        return None, f"must be between {limit}, got {value!r}"
    return hours * 60 + minutes, None


def _window(value: object, name: str, faults: list[tuple[str, str]]) -> Window | None:
    if not isinstance(value, dict):
        faults.append((name, f"must be an object {{days, from, to}}, got {value!r}"))
        return None
    unknown = sorted(str(k) for k in value if k not in ("days", "from", "to"))
    if unknown:
        faults.append((name, f"unknown fields: {', '.join(unknown)}"))
    found = len(faults)
    days = value.get("days")
    indexes: list[int] = []
    if not isinstance(days, list) or not 1 <= len(days) <= 7:
        faults.append((f"{name}.days", f"must be a list of 1 to 7 day names, got {days!r}"))
    else:
        for day in days:
            if not isinstance(day, str) or day not in DAY_NAMES:
                faults.append((f"{name}.days", f"{day!r} is not one of {', '.join(DAY_NAMES)}"))
            elif DAY_NAMES.index(day) in indexes:
                faults.append((f"{name}.days", f"{day!r} is listed twice"))
            else:
                indexes.append(DAY_NAMES.index(day))
    start, fault = _minutes(value.get("from"), allow_24=False)
    faults += [(f"{name}.from", fault)] if fault else []
    end, fault = _minutes(value.get("to"), allow_24=True)
    faults += [(f"{name}.to", fault)] if fault else []
    if start is not None and end is not None and start == end:
        faults.append((name, f"from and to must differ, got {value.get('from')!r} for both"))
    if len(faults) > found or start is None or end is None:
        return None
    return Window(tuple(sorted(indexes)), start, end)


def parse_windows(value: object) -> tuple[Window, ...] | None:
    """The `active_hours` field as windows (None: always active); raises HoursError with every
    fault at once."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise HoursError([("active_hours", f"must be a list of windows or null, got {value!r}")])
    if not value:
        raise HoursError([("active_hours", "must not be empty (use null for always)")])
    faults: list[tuple[str, str]] = []
    if len(value) > MAX_WINDOWS:
        faults.append(("active_hours", f"{len(value)} windows, at most {MAX_WINDOWS} allowed"))
    windows = [_window(item, f"active_hours[{i}]", faults) for i, item in enumerate(value)]
    if faults:
        raise HoursError(faults)
    return tuple(w for w in windows if w is not None)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def windows_json(windows: Sequence[Window] | None) -> list[dict[str, object]] | None:
    """The windows as the API writes them (the inverse of parse_windows)."""
    if windows is None:
        return None
    return [
        {"days": [DAY_NAMES[d] for d in w.days], "from": _clock(w.start), "to": _clock(w.end)}
        for w in windows
    ]


_SPEC = re.compile(r"\s*([a-z,\-]+)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*")


def parse_spec(text: str) -> dict[str, object]:
    """A window as the command line writes it ("mon-fri 09:00-17:00", "mon,wed,fri
    17:00-09:00", "sat-sun 00:00-24:00"), in the API's form; parse_windows checks the rest.
    Raises HoursError for text of another shape."""
    match = _SPEC.fullmatch(text.lower())
    if match is None:
        raise HoursError([("active", f"expected 'mon-fri 09:00-17:00', got {text!r}")])
    days: list[str] = []
    for part in match[1].split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise HoursError([("active", f"{part!r} is not a day or a range such as mon-fri")])
        begin, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        span = range(begin, end + 1) if begin <= end else [*range(begin, 7), *range(end + 1)]
        days += (DAY_NAMES[d] for d in span if DAY_NAMES[d] not in days)
    return {"days": days, "from": match[2], "to": match[3]}


_DAY_WORDS = {(0, 1, 2, 3, 4): "weekdays", (5, 6): "weekends", tuple(range(7)): "every day"}


def _days_in_words(days: tuple[int, ...]) -> str:
    if days in _DAY_WORDS:
        return _DAY_WORDS[days]
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs
    )


def describe(windows: Sequence[Window] | None, time_zone: str) -> str:
    """The hours in words: "weekdays 09:00-17:00 Europe/Berlin", "always"."""
    if windows is None:
        return "always"
    spans = "; ".join(
        f"{_days_in_words(w.days)} {_clock(w.start)}-{_clock(w.end)}" for w in windows
    )
    return f"{spans} {time_zone}"


@lru_cache(maxsize=4096)
def _occurrences(
    windows: tuple[Window, ...], time_zone: str, day: date
) -> tuple[tuple[datetime, datetime], ...]:
    """The non-empty occurrences of windows opening on a wall date, as instants, by start."""
    found = []
    midnight = datetime.combine(day, time())
    for w in windows:
        if day.weekday() not in w.days:
            continue
        opens = midnight + timedelta(minutes=w.start)
        closes = midnight + timedelta(minutes=w.end + (1440 if w.end <= w.start else 0))
        start, end = wall_instant(time_zone, opens), wall_instant(time_zone, closes)
        if start < end:  # a window inside a DST gap is empty that day
            found.append((start, end))
    return tuple(sorted(found))


def _merge(
    windows: tuple[Window, ...], time_zone: str, day: date
) -> Iterator[tuple[datetime, datetime]]:
    """The merged active periods found from the wall date `day` on, in order; FOREVER ends one
    still open after _OPEN_DATES dates."""
    current: list[datetime] | None = None
    open_dates = 0
    while True:
        for start, end in _occurrences(windows, time_zone, day):
            if current is not None and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current is not None:
                yield current[0], current[1]
            current, open_dates = [start, end], 0
        day += _DAY
        if current is None:
            continue
        if current[1] < wall_instant(time_zone, datetime.combine(day, time())):
            yield current[0], current[1]
            current = None
        else:
            open_dates += 1
            if open_dates > _OPEN_DATES:
                yield current[0], FOREVER
                return


class _Merged:
    """The periods `_merge` finds from one date, found as far as they are asked for and kept
    (at most _KEPT of them: `cut` then says that more follow).

    One engine run asks for a rotation's periods from the same date some twenty times (the
    active flag at each instant, the turn's pass, the next edge, the next run time), and a
    storm's rotations share their windows: merging the same days again each time was most of
    an active-hours rotation's update. Shared between threads (the API's projections run on
    worker threads), hence the lock around the one generator.
    """

    def __init__(self, windows: tuple[Window, ...], time_zone: str, day: date) -> None:
        self._source = _merge(windows, time_zone, day)
        self._found: list[tuple[datetime, datetime]] = []
        self._done = False
        self._lock = Lock()

    def __iter__(self) -> Iterator[tuple[datetime, datetime]]:
        index = 0
        while index < _KEPT and self._find(index):
            yield self._found[index]
            index += 1

    def _find(self, index: int) -> bool:
        """Whether there is a period `index`, finding the periods up to it if need be."""
        with self._lock:
            while len(self._found) <= index and not self._done:
                found = next(self._source, None)
                if found is None:
                    self._done = True
                else:
                    self._found.append(found)
            return index < len(self._found)

    @property
    def cut(self) -> bool:
        return len(self._found) == _KEPT and self._found[-1][1] != FOREVER

    def last_end(self) -> datetime:
        return self._found[-1][1]


@lru_cache(maxsize=4096)
def _merged(windows: tuple[Window, ...], time_zone: str, day: date) -> _Merged:
    """The memo of the periods from a wall date (the look-back before an instant's date)."""
    return _Merged(windows, time_zone, day)


@dataclass(frozen=True, slots=True)
class ActiveHours:
    """A rotation's windows in its time zone: the active period as instants."""

    windows: tuple[Window, ...]
    time_zone: str

    def periods(self, t: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The merged active periods that end after t, in order; FOREVER ends one that never
        ends. The first may start earlier than its true start when it began long before t
        (only its part from t on is exact)."""
        zone = load_zone(self.time_zone)
        while True:
            day = t.astimezone(zone).date() - _LOOK_BACK * _DAY
            merged = _merged(self.windows, self.time_zone, day)
            for period in merged:
                if period[1] > t:
                    yield period
            if not merged.cut:
                return
            t = merged.last_end()  # the memo keeps the first periods; the rest follow them

    def is_active(self, t: datetime) -> bool:
        """Whether t lies in the active period."""
        start, _ = next(self.periods(t))
        return start <= t

    def next_edge(self, t: datetime) -> datetime | None:
        """The first instant after t at which the period starts or ends; None if never."""
        start, end = next(self.periods(t))
        if start > t:
            return start
        return None if end == FOREVER else end


def next_pass(
    grid: Grid,
    units: Grid,
    hours: ActiveHours | None,
    turns: str,
    shift_start: datetime,
    first_shift: bool,
) -> datetime:
    """The instant the turn begun at `shift_start` passes.

    Calendar turns (or no active hours) pass on the grid, a first shift begun before the
    grid's start at the end of the first whole shift (rotation.first_boundary). Active turns
    count `shift_length` active units from the unit holding `shift_start` (only its part from
    `shift_start` on) and pass at the start of the next active unit; inactive units are
    skipped whole, jumping to the unit holding the next period's start. A first shift begun
    before the grid's start counts from `start` by the same rule: its participant keeps the
    time until `start` and a whole first turn after it.
    """
    if hours is None or turns == "calendar":
        return first_boundary(grid, shift_start, first_shift)
    return _active_pass(grid, units, hours, shift_start, first_shift)


@lru_cache(maxsize=4096)
def _active_pass(
    grid: Grid, units: Grid, hours: ActiveHours, shift_start: datetime, first_shift: bool
) -> datetime:
    """next_pass with active turns, kept: one engine run asks for the same turn's pass at
    each instant of its walk and again for the next run time, each a walk over the units."""
    at = grid.start if first_shift and shift_start < grid.start else shift_start
    periods = hours.periods(at)
    start, end = next(periods)
    counted = 0
    while True:
        unit_end = units.end_time(at)
        while end <= at:
            start, end = next(periods)
        if start < unit_end:
            if counted == grid.shift_length:
                return at
            counted += 1
            at = unit_end
        else:
            at = units.start_time(start)
