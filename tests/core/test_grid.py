"""The handoff grid against its contract (shared/spec/time-grid.md)."""

from __future__ import annotations

import calendar
import itertools
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import handoff.grid as grid_module
from handoff.grid import Grid, GridType

GOLDEN_FILE_ENV = "HANDOFF_GOLDEN_FILE"
DEFAULT_GOLDEN_FILE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "golden" / "handoff_grid_cases.txt"
)
GOLDEN_CHUNK = 2000
MAX_MISMATCHES_SHOWN = 10

GRID_TYPES: list[GridType] = ["hourly", "daily", "weekly", "monthly"]
# The golden file's zones, plus the other midnight-DST zones the contract names.
ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Santiago",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "Europe/Berlin",
    "Europe/London",
    "Pacific/Chatham",
    "UTC",
    "America/Havana",
    "Asia/Beirut",
]
RANGE_FIRST = datetime(1990, 1, 1, tzinfo=UTC)
RANGE_LAST = datetime(2060, 12, 31, tzinfo=UTC)
STEPS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(
    zone: str,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ZoneInfo(zone))


def unix(t: datetime) -> int:
    return (t - utc(1970, 1, 1)) // timedelta(seconds=1)


# --- golden cases -------------------------------------------------------------------------------


def golden_file() -> Path:
    override = os.environ.get(GOLDEN_FILE_ENV)
    if override:
        return Path(override)
    return DEFAULT_GOLDEN_FILE


@cache
def golden_cases() -> list[tuple[str, ...]]:
    path = golden_file()
    if not path.is_file():
        if os.environ.get(GOLDEN_FILE_ENV):
            pytest.fail(f"{GOLDEN_FILE_ENV}={path} does not exist")
        pytest.skip(f"golden file {path} not found (set {GOLDEN_FILE_ENV} to point at it)")
    rows = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip() and not line.startswith("#"):
                row = tuple(line.split())
                assert len(row) == 9, f"malformed golden line: {line!r}"
                rows.append(row)
    return rows


def test_golden_file_has_all_cases() -> None:
    cases = golden_cases()
    assert len(cases) == 20_000
    assert {row[1] for row in cases} == set(GRID_TYPES)


@pytest.mark.parametrize("chunk", range(20_000 // GOLDEN_CHUNK))
def test_golden_cases(chunk: int) -> None:
    rows = golden_cases()[chunk * GOLDEN_CHUNK : (chunk + 1) * GOLDEN_CHUNK]
    assert rows, "no golden cases in this chunk"
    mismatches = []
    for zone, kind, length, start, t_unix, expected_end, expected_start, _, _ in rows:
        grid = Grid(kind, int(length), datetime.fromtimestamp(int(start), UTC), zone)  # type: ignore[arg-type]
        t = datetime.fromtimestamp(int(t_unix), UTC)
        end, begin = unix(grid.end_time(t)), unix(grid.start_time(t))
        if end != int(expected_end) or begin != int(expected_start):
            mismatches.append(
                f"{zone} {kind} L={length} start={start} t={t_unix}: "
                f"end {end} (want {expected_end}), start {begin} (want {expected_start})"
            )
    assert not mismatches, f"{len(mismatches)} of {len(rows)} golden cases differ:\n" + "\n".join(
        mismatches[:MAX_MISMATCHES_SHOWN]
    )


# --- an independent reference: resolve by reading clocks, scan the grid linearly --------------


def wall_reading(zone: ZoneInfo, instant: datetime) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def reference_instant(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first instant whose wall-clock reading is >= wall, found by reading clocks."""
    candidates = sorted(
        (wall - zone.utcoffset(wall.replace(fold=fold))).replace(tzinfo=UTC)  # type: ignore[operator]
        for fold in (0, 1)
    )
    exact = [x for x in candidates if wall_reading(zone, x) == wall]
    if exact:
        return exact[0]
    x = candidates[0]  # inside a gap: walk forward to the first reading past it
    while wall_reading(zone, x) < wall:
        x += timedelta(minutes=1)
    while wall_reading(zone, x - timedelta(seconds=1)) >= wall:
        x -= timedelta(seconds=1)
    return x


def add_months(wall: datetime, months: int) -> datetime:
    year, month0 = divmod(wall.year * 12 + wall.month - 1 + months, 12)
    day = min(wall.day, calendar.monthrange(year, month0 + 1)[1])
    return wall.replace(year=year, month=month0 + 1, day=day)


def reference_boundaries(grid: Grid, around: datetime, reach: int) -> list[datetime]:
    """Every boundary whose index is within reach of t's, each resolved by reading clocks."""
    zone = ZoneInfo(grid.time_zone)
    s = wall_reading(zone, datetime.fromtimestamp(unix(grid.start) // 60 * 60, UTC))
    wall_t = wall_reading(zone, around)
    if grid.type == "monthly":
        k_t = ((wall_t.year - s.year) * 12 + wall_t.month - s.month) // grid.shift_length
    else:
        k_t = (wall_t - s) // (grid.shift_length * STEPS[grid.type])
    walls = [
        add_months(s, k * grid.shift_length)
        if grid.type == "monthly"
        else s + k * grid.shift_length * STEPS[grid.type]
        for k in range(k_t - reach, k_t + reach + 1)
    ]
    return sorted({reference_instant(zone, wall) for wall in walls})


# --- strategies -------------------------------------------------------------------------------


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The zone's offset changes in the test range, to the second."""
    zone = ZoneInfo(zone_name)
    found = []
    day = RANGE_FIRST
    offset = day.astimezone(zone).utcoffset()
    while day < RANGE_LAST:
        nxt = day + timedelta(days=1)
        nxt_offset = nxt.astimezone(zone).utcoffset()
        if nxt_offset != offset:
            lo, hi = day, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) // 2
                if mid.astimezone(zone).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        day, offset = nxt, nxt_offset
    return tuple(found)


MICROSECONDS = st.sampled_from([0, 0, 1, 999_999, 500_000])
EDGE_SHIFT_MINUTES = st.one_of(st.sampled_from([0, 0, -30, 30, -60, 60]), st.integers(-90, 90))
GRID_YEARS = (1900, 2100)


def dressed(draw: st.DrawFn, t: datetime) -> datetime:
    """The same instant in any zone's clothing must give the same answer."""
    return t.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


@st.composite
def instants(draw: st.DrawFn, zone_name: str) -> datetime:
    """Instants in 1990..2060, often within a day of one of the zone's transitions."""
    near = transitions(zone_name)
    near_a_transition = draw(st.booleans())
    if near and near_a_transition:
        base = draw(st.sampled_from(near))
        window = draw(st.sampled_from([2 * 3600, 26 * 3600]))
        t = base + timedelta(seconds=draw(st.integers(-window, window)))
    else:
        t = RANGE_FIRST + timedelta(
            seconds=draw(st.integers(0, unix(RANGE_LAST) - unix(RANGE_FIRST)))
        )
    return dressed(draw, t + timedelta(microseconds=draw(MICROSECONDS)))


@st.composite
def grid_and_instant(draw: st.DrawFn, huge: bool = True) -> tuple[Grid, datetime]:
    """A grid and an instant to ask it about.

    Half the time both are drawn around one DST transition: t near it, and a grid with a
    boundary on one edge of its gap or repeated hour (or a few minutes off), whole steps away.
    """
    zone_name = draw(st.sampled_from(ZONES))
    kind = draw(st.sampled_from(GRID_TYPES))
    lengths = st.one_of(st.integers(1, 3), st.integers(1, 50))  # short shifts meet more DST
    if huge:
        lengths = st.one_of(lengths, st.sampled_from([1000, 8760, 9000]))
    length = draw(lengths)
    near = transitions(zone_name)
    if not near or draw(st.booleans()):
        return Grid(kind, length, draw(instants(zone_name)), zone_name), draw(instants(zone_name))

    zone = ZoneInfo(zone_name)
    transition = draw(st.sampled_from(near))
    window = draw(st.sampled_from([2 * 3600, 26 * 3600]))
    t = transition + timedelta(
        seconds=draw(st.integers(-window, window)), microseconds=draw(MICROSECONDS)
    )
    just_before = wall_reading(zone, transition - timedelta(seconds=1)) + timedelta(seconds=1)
    edge = draw(st.sampled_from([wall_reading(zone, transition), just_before]))
    edge += timedelta(minutes=draw(EDGE_SHIFT_MINUTES))
    first, last = datetime(GRID_YEARS[0], 1, 1), datetime(GRID_YEARS[1], 1, 1)
    if kind == "monthly":
        months_back = (edge.year - first.year) * 12 + edge.month - 1
        months_ahead = (last.year - edge.year) * 12 - edge.month
        steps = draw(st.integers(-(months_ahead // length), months_back // length))
        start_wall = add_months(edge, -steps * length)
    else:
        step = length * STEPS[kind]
        steps = draw(st.integers(-((last - edge) // step), (edge - first) // step))
        start_wall = edge - steps * step
    start = start_wall.replace(tzinfo=zone, fold=draw(st.sampled_from([0, 1])))
    return Grid(kind, length, start, zone_name), dressed(draw, t)


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- properties -------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(grid_and_instant())
def test_start_time_le_t_lt_end_time(case: tuple[Grid, datetime]) -> None:
    grid, t = case
    begin, end = grid.start_time(t), grid.end_time(t)
    assert begin <= t < end
    assert begin.tzinfo is UTC and end.tzinfo is UTC


@PROPERTY_SETTINGS
@given(grid_and_instant(), st.one_of(st.integers(0, 7200), st.integers(0, 40 * 24 * 3600)))
def test_end_time_and_start_time_are_non_decreasing(
    case: tuple[Grid, datetime], seconds: int
) -> None:
    grid, t = case
    later = t.astimezone(UTC) + timedelta(seconds=seconds)  # aware arithmetic would drop fold
    assert grid.end_time(t) <= grid.end_time(later)
    assert grid.start_time(t) <= grid.start_time(later)


@PROPERTY_SETTINGS
@given(grid_and_instant())
def test_results_are_boundaries(case: tuple[Grid, datetime]) -> None:
    grid, t = case
    end, begin = grid.end_time(t), grid.start_time(t)
    assert grid.start_time(end) == end
    assert grid.start_time(begin) == begin
    assert grid.end_time(begin) == end  # nothing lies between start_time(t) and t
    before_end = end - timedelta(microseconds=1)
    assert grid.end_time(before_end) == end


@PROPERTY_SETTINGS
@given(grid_and_instant(huge=False), st.data())
def test_matches_linear_scan_reference(case: tuple[Grid, datetime], data: st.DataObject) -> None:
    """Compare with resolving every boundary near t by reading clocks, then scanning in order."""
    grid, drawn = case
    boundaries = reference_boundaries(grid, drawn, reach=20)
    pick = data.draw(st.integers(1, len(boundaries) - 2))
    nudge = data.draw(st.sampled_from([0, -1, 1, 1800 * 10**6]))
    for t in (drawn, boundaries[pick] + timedelta(microseconds=nudge)):
        if boundaries[0] < t < boundaries[-1]:
            assert grid.end_time(t) == min(b for b in boundaries if b > t), t
            assert grid.start_time(t) == max(b for b in boundaries if b <= t), t


@PROPERTY_SETTINGS
@given(grid_and_instant(huge=False))
def test_boundaries_read_on_the_grid(case: tuple[Grid, datetime]) -> None:
    """A boundary reads S + k steps on the wall clock, unless a gap moved it to the transition."""
    grid, t = case
    zone = ZoneInfo(grid.time_zone)
    end = grid.end_time(t)
    reading = wall_reading(zone, end)
    s = wall_reading(zone, grid.start)
    if grid.type == "monthly":
        months = (reading.year - s.year) * 12 + reading.month - s.month
        on_grid = months % grid.shift_length == 0 and reading == add_months(s, months)
    else:
        on_grid = (reading - s) % (grid.shift_length * STEPS[grid.type]) == timedelta(0)
    moved_by_gap = (end - timedelta(seconds=1)).astimezone(zone).utcoffset() != end.astimezone(
        zone
    ).utcoffset()
    assert on_grid or moved_by_gap, f"{end} reads {reading}, not on the grid from {s}"


@PROPERTY_SETTINGS
@given(st.sampled_from(ZONES), st.data())
def test_daily_1_equals_hourly_24(zone: str, data: st.DataObject) -> None:
    start, t = data.draw(instants(zone)), data.draw(instants(zone))
    daily, hourly = Grid("daily", 1, start, zone), Grid("hourly", 24, start, zone)
    assert daily.end_time(t) == hourly.end_time(t)
    assert daily.start_time(t) == hourly.start_time(t)
    weekly, daily_7 = Grid("weekly", 1, start, zone), Grid("daily", 7, start, zone)
    assert weekly.end_time(t) == daily_7.end_time(t)


@PROPERTY_SETTINGS
@given(grid_and_instant(), st.integers(0, 12))
def test_next_handoffs_iterates_end_time(case: tuple[Grid, datetime], n: int) -> None:
    grid, t = case
    assume(grid.shift_length <= 50 or n <= 3)  # stay within datetime's years
    handoffs = grid.next_handoffs(t, n)
    assert len(handoffs) == n
    expected = []
    current = t
    for _ in range(n):
        current = grid.end_time(current)
        expected.append(current)
    assert handoffs == expected
    assert all(a < b for a, b in itertools.pairwise(handoffs))


def walked_handoffs(grid: Grid, after: datetime, until: datetime) -> int:
    """The handoffs in (after, until], counted by applying end_time one by one."""
    count, t = 0, grid.end_time(after)
    while t <= until:
        count, t = count + 1, grid.end_time(t)
    return count


@PROPERTY_SETTINGS
@given(grid_and_instant(huge=False), st.integers(0, 3 * 24 * 3600), st.integers(0, 40 * 24 * 3600))
def test_handoffs_between_counts_what_end_time_walks(
    case: tuple[Grid, datetime], back: int, ahead: int
) -> None:
    """The count from boundary indices, pairs that share an instant in a gap taken out,
    equals the walk: the case is drawn around a transition half the time, with hourly
    grids of one to three hours among them (the ones whose boundaries share instants)."""
    grid, t = case
    after = t.astimezone(UTC) - timedelta(seconds=back)
    until = t.astimezone(UTC) + timedelta(seconds=ahead)
    assert grid.handoffs_between(after, until) == walked_handoffs(grid, after, until)
    assert grid.handoffs_between(until, after) == 0


@pytest.mark.parametrize(
    ("kind", "length", "zone", "after", "until"),
    [
        ("hourly", 1, "America/Chicago", utc(2026, 1, 1), utc(2027, 1, 1)),  # 02:00, 03:00: one
        ("daily", 1, "Pacific/Apia", utc(2011, 12, 1), utc(2012, 1, 10)),  # 30 Dec 2011 skipped
        ("hourly", 24, "Pacific/Apia", utc(2011, 12, 1), utc(2012, 1, 10)),
        ("hourly", 5, "Pacific/Apia", utc(2011, 12, 1), utc(2012, 1, 10)),
        ("hourly", 1, "Australia/Lord_Howe", utc(2025, 1, 1), utc(2027, 1, 1)),  # 30-minute gaps
        ("daily", 1, "America/Sao_Paulo", utc(2010, 1, 1), utc(2019, 1, 1)),  # midnight DST
    ],
)
def test_handoffs_between_over_whole_years_and_a_skipped_day(
    kind: GridType, length: int, zone: str, after: datetime, until: datetime
) -> None:
    grid = Grid(kind, length, utc(2010, 3, 3, 3), zone)
    assert grid.handoffs_between(after, until) == walked_handoffs(grid, after, until)


def test_handoffs_between_does_not_walk_the_grid(resolve_calls: list[int]) -> None:
    """A count three centuries long resolves four boundaries, not one per hour (2.4 million)."""
    grid = Grid("hourly", 1, utc(2026, 3, 3, 2, 30), "Europe/Berlin")
    assert grid.handoffs_between(utc(2026, 12, 1), utc(2300, 1, 1)) > 2_390_000
    assert resolve_calls[0] <= 6


def _python_zone(name: str) -> Any:
    """The pure-Python zoneinfo, whose transition table is readable (a private attribute:
    used here only to check the assumptions grid.py states about the tz database)."""
    from zoneinfo import _zoneinfo

    return _zoneinfo.ZoneInfo.no_cache(name)  # type: ignore[attr-defined]


def test_the_tz_database_fits_the_gap_scan() -> None:
    """grid.py counts shared boundaries only for steps up to the longest gap, and finds gaps
    by reading the offset every `_GAP_SCAN`: no gap is longer, and no transition is that
    close to an offset increase, in any zone's table or in its yearly rule after the table."""
    for name in sorted(grid_module.zone_names()):
        zone = _python_zone(name)
        offsets = [zone._tti_before.utcoff] + [t.utcoff for t in zone._ttinfos]
        instants = list(zone._trans_utc)
        for i, (before, after) in enumerate(itertools.pairwise(offsets)):
            assert after - before <= grid_module._LONGEST_GAP, (name, i)
            increase = after > before or (i + 1 < len(instants) and offsets[i + 2] > after)
            if increase and i + 1 < len(instants):
                close = timedelta(seconds=instants[i + 1] - instants[i])
                assert close > grid_module._GAP_SCAN, (name, i)
        rule = zone._tz_after
        if hasattr(rule, "transitions"):
            assert rule.dst_diff <= grid_module._LONGEST_GAP.total_seconds(), name
            for year in (2040, 2100):
                on, off = rule.transitions(year)
                apart = timedelta(seconds=abs(off - on))
                assert grid_module._GAP_SCAN < apart < timedelta(days=365) - grid_module._GAP_SCAN


@pytest.mark.parametrize("zone_name", [z for z in ZONES if transitions(z)])
@pytest.mark.parametrize("edge", ["after", "before", "middle"])
def test_hourly_grids_across_every_recent_transition(zone_name: str, edge: str) -> None:
    """Hourly grids with boundaries at the edges or the middle of every gap and repeated hour."""
    zone = ZoneInfo(zone_name)
    recent = [x for x in transitions(zone_name) if utc(2015, 1, 1) <= x < utc(2030, 1, 1)]
    for transition in recent:
        before = wall_reading(zone, transition - timedelta(seconds=1)) + timedelta(seconds=1)
        after = wall_reading(zone, transition)
        edges = {"after": after, "before": before, "middle": before + (after - before) / 2}
        start_wall = edges[edge]
        grid = Grid("hourly", 1, start_wall.replace(tzinfo=zone), zone_name)
        t = transition - timedelta(hours=3)
        expected = [b for b in reference_boundaries(grid, t, reach=10) if b > t][:6]
        assert grid.next_handoffs(t, 6) == expected, f"around {transition}"


# --- the contract's examples ------------------------------------------------------------------


CHICAGO = "America/Chicago"


def test_spring_forward_hourly_02_and_03_are_one_handoff() -> None:
    grid = Grid("hourly", 1, local(CHICAGO, 2021, 1, 1), CHICAGO)
    # 02:00 does not exist on 2021-03-14: it and 03:00 both resolve to 03:00 CDT (08:00Z).
    assert grid.next_handoffs(local(CHICAGO, 2021, 3, 14, 0, 30), 3) == [
        utc(2021, 3, 14, 7),  # 01:00 CST
        utc(2021, 3, 14, 8),  # 03:00 CDT
        utc(2021, 3, 14, 9),  # 04:00 CDT
    ]
    assert grid.start_time(utc(2021, 3, 14, 8)) == utc(2021, 3, 14, 8)
    assert grid.start_time(utc(2021, 3, 14, 7, 59, 59)) == utc(2021, 3, 14, 7)


def test_two_hourly_grid_from_an_even_hour_stays_on_even_hours() -> None:
    grid = Grid("hourly", 2, local(CHICAGO, 2021, 3, 1, 0), CHICAGO)
    zone = ZoneInfo(CHICAGO)
    for handoff in grid.next_handoffs(local(CHICAGO, 2021, 3, 13), 30):
        reading = handoff.astimezone(zone)
        assert reading.hour % 2 == 0 or reading == local(CHICAGO, 2021, 3, 14, 3)


def test_time_in_gap_resolves_to_transition_instant() -> None:
    grid = Grid("daily", 1, local(CHICAGO, 2021, 3, 1, 2, 30), CHICAGO)
    # 02:30 on 2021-03-14 is skipped: the handoff is 03:00 CDT, the first instant after the gap.
    assert grid.end_time(local(CHICAGO, 2021, 3, 13, 12)) == utc(2021, 3, 14, 8)
    assert grid.end_time(utc(2021, 3, 14, 8)) == utc(2021, 3, 15, 7, 30)  # 02:30 CDT again


def test_repeated_time_resolves_to_first_occurrence() -> None:
    grid = Grid("daily", 1, local(CHICAGO, 2021, 10, 1, 1, 30), CHICAGO)
    # 01:30 happens twice on 2021-11-07: 06:30Z (CDT) and 07:30Z (CST).
    assert grid.end_time(local(CHICAGO, 2021, 11, 7, 0)) == utc(2021, 11, 7, 6, 30)


def test_end_time_is_after_t_inside_a_repeated_hour() -> None:
    grid = Grid("daily", 1, local(CHICAGO, 2021, 10, 1, 1, 45), CHICAGO)
    t = utc(2021, 11, 7, 7, 10)  # 01:10 CST, the second 01:10; today's 01:45 was 06:45Z
    assert grid.end_time(t) == utc(2021, 11, 8, 7, 45)
    assert grid.start_time(t) == utc(2021, 11, 7, 6, 45)


def test_monthly_from_jan_31_clamps_without_drift() -> None:
    berlin = "Europe/Berlin"
    leap = Grid("monthly", 1, local(berlin, 2024, 1, 31, 9), berlin)
    readings = [
        h.astimezone(ZoneInfo(berlin)).replace(tzinfo=None)
        for h in leap.next_handoffs(local(berlin, 2024, 1, 31, 9), 5)
    ]
    assert readings == [
        datetime(2024, 2, 29, 9),
        datetime(2024, 3, 31, 9),
        datetime(2024, 4, 30, 9),
        datetime(2024, 5, 31, 9),
        datetime(2024, 6, 30, 9),
    ]
    common = Grid("monthly", 1, local(berlin, 2023, 1, 31, 9), berlin)
    assert common.end_time(local(berlin, 2023, 1, 31, 9)) == local(berlin, 2023, 2, 28, 9)
    # Before the start too, and start_time on an exact boundary is that boundary.
    assert common.start_time(local(berlin, 2022, 11, 30, 9)) == local(berlin, 2022, 11, 30, 9)
    assert common.end_time(local(berlin, 2022, 11, 30, 9)) == local(berlin, 2022, 12, 31, 9)


@pytest.mark.parametrize(
    ("zone", "day_before", "handoff", "next_day"),
    [
        # Clocks jump 00:00 -> 01:00: a daily 00:00 rotation hands off at 01:00 that day.
        ("America/Sao_Paulo", date(2018, 11, 3), utc(2018, 11, 4, 3), utc(2018, 11, 5, 2)),
        ("America/Santiago", date(2022, 9, 10), utc(2022, 9, 11, 4), utc(2022, 9, 12, 3)),
        ("America/Havana", date(2023, 3, 11), utc(2023, 3, 12, 5), utc(2023, 3, 13, 4)),
        ("Asia/Tehran", date(2021, 3, 21), utc(2021, 3, 21, 20, 30), utc(2021, 3, 22, 19, 30)),
        ("Asia/Beirut", date(2023, 3, 25), utc(2023, 3, 25, 22), utc(2023, 3, 26, 21)),
    ],
)
def test_midnight_dst_daily_at_midnight(
    zone: str, day_before: date, handoff: datetime, next_day: datetime
) -> None:
    start = local(zone, day_before.year, day_before.month, 1)
    grid = Grid("daily", 1, start, zone)
    t = local(zone, day_before.year, day_before.month, day_before.day, 12)
    assert grid.next_handoffs(t, 2) == [handoff, next_day]
    assert handoff.astimezone(ZoneInfo(zone)).hour == 1
    assert next_day.astimezone(ZoneInfo(zone)).hour == 0


def test_santiago_repeated_hour_before_midnight() -> None:
    zone = "America/Santiago"
    grid = Grid("daily", 1, local(zone, 2023, 3, 1, 23, 30), zone)
    # 2023-04-02 00:00 -03 became 2023-04-01 23:00 -04: 23:30 on Apr 1 happens twice.
    assert grid.next_handoffs(local(zone, 2023, 3, 31, 12), 3) == [
        utc(2023, 4, 1, 2, 30),
        utc(2023, 4, 2, 2, 30),  # the first 23:30
        utc(2023, 4, 3, 3, 30),
    ]
    assert grid.end_time(utc(2023, 4, 2, 3)) == utc(2023, 4, 3, 3, 30)  # in the second hour


def test_lord_howe_half_hour_dst() -> None:
    zone = "Australia/Lord_Howe"
    hourly = Grid("hourly", 1, local(zone, 2024, 1, 1), zone)
    # 2024-10-06 02:00 +10:30 -> 02:30 +11:00: the 02:00 handoff moves to 02:30.
    assert hourly.next_handoffs(local(zone, 2024, 10, 6, 0, 30), 3) == [
        utc(2024, 10, 5, 14, 30),
        utc(2024, 10, 5, 15, 30),
        utc(2024, 10, 5, 16),
    ]
    # 2024-04-07 02:00 +11:00 -> 01:30 +10:30: 01:45 happens twice, the first one counts.
    daily = Grid("daily", 1, local(zone, 2024, 1, 1, 1, 45), zone)
    assert daily.next_handoffs(local(zone, 2024, 4, 6, 12), 2) == [
        utc(2024, 4, 6, 14, 45),
        utc(2024, 4, 7, 15, 15),
    ]


def test_start_is_truncated_to_the_minute_and_normalised() -> None:
    grid = Grid("daily", 1, local(CHICAGO, 2021, 1, 1, 9, 0, 59, 999_999), CHICAGO)
    assert grid.start == utc(2021, 1, 1, 15)
    assert grid.start.tzinfo is UTC
    assert grid.end_time(local(CHICAGO, 2021, 1, 1, 9, 0, 30)) == utc(2021, 1, 2, 15)
    assert grid == Grid("daily", 1, utc(2021, 1, 1, 15), CHICAGO)
    assert hash(grid) == hash(Grid("daily", 1, utc(2021, 1, 1, 15), CHICAGO))
    with pytest.raises(AttributeError):
        grid.shift_length = 2  # type: ignore[misc]


# --- cost does not depend on the rotation's age ----------------------------------------------


@pytest.fixture
def resolve_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    calls = [0]
    original = grid_module._resolve

    def counting(*args: Any) -> datetime:
        calls[0] += 1
        return original(*args)

    monkeypatch.setattr(grid_module, "_resolve", counting)
    yield calls


@pytest.mark.parametrize("kind", GRID_TYPES)
def test_lookup_does_not_walk_the_grid(kind: GridType, resolve_calls: list[int]) -> None:
    now = utc(2026, 5, 1, 12, 34, 56)
    for start in (
        now - timedelta(days=365 * 20),
        now - timedelta(days=1),
        now + timedelta(days=9000),
    ):
        grid = Grid(kind, 1, start, CHICAGO)
        resolve_calls[0] = 0
        grid.end_time(now)
        assert resolve_calls[0] <= 3, f"end_time resolved {resolve_calls[0]} boundaries"
        resolve_calls[0] = 0
        grid.next_handoffs(now, 10)
        assert resolve_calls[0] <= 13


# --- validation -------------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "type": "daily",
    "shift_length": 1,
    "start": utc(2024, 1, 1, 9),
    "time_zone": CHICAGO,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "yearly", "type must be one of hourly, daily, weekly, monthly, got 'yearly'"),
        ("type", "Daily", "type must be one of hourly, daily, weekly, monthly"),
        ("type", None, "type must be one of"),
        ("shift_length", 0, "shift_length must be between 1 and 9000, got 0"),
        ("shift_length", -3, "shift_length must be between 1 and 9000, got -3"),
        ("shift_length", 9001, "shift_length must be between 1 and 9000, got 9001"),
        ("shift_length", True, "shift_length must be an integer, got True"),
        ("shift_length", 1.0, "shift_length must be an integer, got 1.0"),
        ("shift_length", "3", "shift_length must be an integer, got '3'"),
        ("start", datetime(2024, 1, 1, 9), "start must be timezone-aware"),
        ("start", date(2024, 1, 1), "start must be a datetime, got date"),
        ("start", "2024-01-01T09:00:00Z", "start must be a datetime, got str"),
        ("time_zone", "", "time_zone must be an IANA time zone name, got ''"),
        ("time_zone", "Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"),
        ("time_zone", "america/chicago", "unknown time zone"),
        ("time_zone", " UTC", "unknown time zone"),
        ("time_zone", "America", "unknown time zone 'America'"),
        ("time_zone", "zone.tab", "unknown time zone 'zone.tab'"),
        ("time_zone", "/etc/passwd", "time_zone must be an IANA time zone name"),
        ("time_zone", "../zoneinfo/UTC", "time_zone must be an IANA time zone name"),
        ("time_zone", "America/../Europe/Berlin", "time_zone must be an IANA time zone name"),
        ("time_zone", "America/./Chicago", "unknown time zone"),
        ("time_zone", "Europe/Berlin\0", "time_zone must be an IANA time zone name"),
        ("time_zone", None, "time_zone must be an IANA time zone name, got None"),
        ("time_zone", ZoneInfo(CHICAGO), "time_zone must be an IANA time zone name"),
    ],
)
def test_constructor_rejects_bad_input(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Grid(**{**GOOD, field: value})


def test_accepts_any_zone_zoneinfo_loads() -> None:
    for name in ("EST5EDT", "Etc/GMT+5", "UTC", "Asia/Kathmandu"):
        assert Grid("daily", 1, utc(2024, 1, 1), name).end_time(utc(2024, 1, 1)) > utc(2024, 1, 1)


@pytest.mark.parametrize("method", ["end_time", "start_time"])
def test_t_must_be_aware(method: str) -> None:
    grid = Grid(**GOOD)
    with pytest.raises(ValueError, match="^" + re.escape("t must be timezone-aware")):
        getattr(grid, method)(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="^" + re.escape("t must be a datetime, got int")):
        getattr(grid, method)(1_700_000_000)


@pytest.mark.parametrize("n", [-1, True, 2.0, "3"])
def test_next_handoffs_rejects_bad_n(n: object) -> None:
    with pytest.raises(ValueError, match="^" + re.escape("n must be a non-negative integer")):
        Grid(**GOOD).next_handoffs(utc(2024, 1, 1), n)  # type: ignore[arg-type]


def test_next_handoffs_checks_t_even_for_zero() -> None:
    grid = Grid(**GOOD)
    assert grid.next_handoffs(utc(2024, 1, 1), 0) == []
    with pytest.raises(ValueError, match="^" + re.escape("t must be timezone-aware")):
        grid.next_handoffs(datetime(2024, 1, 1), 0)


def test_out_of_range_is_a_clear_error() -> None:
    grid = Grid("monthly", 9000, utc(2024, 1, 1), CHICAGO)
    with pytest.raises(ValueError, match="fits in the supported date range"):
        grid.end_time(utc(9600, 1, 1))  # the next boundary would be in 10274
    with pytest.raises(ValueError, match="fits in the supported date range"):
        Grid(**GOOD).end_time(datetime.max.replace(tzinfo=UTC))
