"""Grid math throughput for `handoff bench` (shared/spec/bench.md, scenario 5).

Each function times calls on one representative rotation in this process and returns calls per
second. The rotation started ten years before the instants it is asked about, so the figure also
shows that a lookup does not walk the grid from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from time import perf_counter

from handoff.grid import GRID_TYPES, Grid

__all__ = ["measure_end_time_rate", "measure_next_handoffs_rate"]

BENCH_TIME_ZONE = "America/Chicago"  # has DST, so both transitions fall among the instants
BENCH_START = datetime(2016, 1, 4, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
BENCH_SHIFT_LENGTH: dict[str, int] = {"hourly": 8, "daily": 1, "weekly": 1, "monthly": 1}
BENCH_FIRST_INSTANT = datetime(2026, 1, 1, tzinfo=UTC)
BENCH_INSTANT_SPACING = timedelta(hours=7, minutes=13, seconds=11)  # not a divisor of any step
BENCH_INSTANTS = 1000  # spread over about ten months
NEXT_HANDOFFS_N = 10


def _instants() -> list[datetime]:
    return [BENCH_FIRST_INSTANT + i * BENCH_INSTANT_SPACING for i in range(BENCH_INSTANTS)]


def _grid(grid_type: str) -> Grid:
    for kind in GRID_TYPES:
        if kind == grid_type:
            return Grid(kind, BENCH_SHIFT_LENGTH[kind], BENCH_START, BENCH_TIME_ZONE)
    allowed = ", ".join(GRID_TYPES)
    raise ValueError(f"grid_type must be one of {allowed}, got {grid_type!r}")


def _rate(call: Callable[[datetime], object], seconds: float) -> float:
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    instants = _instants()
    calls = 0
    began = perf_counter()
    while True:
        for t in instants:
            call(t)
        calls += len(instants)
        elapsed = perf_counter() - began
        if elapsed >= seconds:
            return calls / elapsed


def measure_end_time_rate(grid_type: str, seconds: float = 1.0) -> float:
    """end_time calls per second for a representative rotation of grid_type."""
    return _rate(_grid(grid_type).end_time, seconds)


def measure_next_handoffs_rate(
    grid_type: str, seconds: float = 1.0, n: int = NEXT_HANDOFFS_N
) -> float:
    """next_handoffs(t, n) calls per second (n handoffs each) for a representative rotation."""
    grid = _grid(grid_type)
    return _rate(lambda t: grid.next_handoffs(t, n), seconds)
