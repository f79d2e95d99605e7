"""The chaos population of rotations behind the engine: with a quiet window (the restore
fault's), no grid hands off inside it, and each still has boundaries to catch up on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff.chaos import population

NOW = datetime(2026, 3, 29, 0, 47, 13, tzinfo=UTC)  # the night Europe's clocks go forward
AGE = timedelta(hours=1)
QUIET = timedelta(minutes=20)


def _in(planned: list[population.Planned], start: datetime, end: datetime) -> int:
    return sum(1 for p in planned if start < p.grid.end_time(start) <= end)


def test_a_quiet_window_has_no_boundary_and_the_hour_behind_keeps_them() -> None:
    since = NOW - AGE
    loud = population.behind(90, since, seed=6)
    assert _in(loud, NOW, NOW + QUIET) > 0  # what the window removes
    quiet = population.behind(90, since, seed=6, quiet=(NOW, NOW + QUIET))
    assert _in(quiet, NOW, NOW + QUIET) == 0
    assert [p.grid.type for p in quiet] == [p.grid.type for p in loud]
    hourly = [p for p in quiet if p.grid.type == "hourly" and p.grid.shift_length == 1]
    assert hourly and _in(hourly, since, NOW) == len(hourly)  # each hands off in the hour behind
