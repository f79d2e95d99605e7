"""Scenario 5, grid math: end_time and next_handoffs calls per second per rotation type.

Absolute rates vary several-fold from day to day on a shared machine, so the same process also
measures the rate of the zone conversion every grid lookup is built on,
`datetime.fromtimestamp(t, ZoneInfo(zone))`, over the same instants and zone; the headline is
end_time's rate over that one (bench.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from zoneinfo import ZoneInfo

from handoff.bench.profiles import Profile
from handoff.grid import GRID_TYPES
from handoff.gridbench import (
    BENCH_FIRST_INSTANT,
    BENCH_INSTANT_SPACING,
    BENCH_INSTANTS,
    BENCH_TIME_ZONE,
    measure_end_time_rate,
    measure_next_handoffs_rate,
)


@dataclass(frozen=True, slots=True)
class GridRates:
    end_time: dict[str, float]
    next_handoffs: dict[str, float]
    zone_conversion: float | None = None  # fromtimestamp(t, ZoneInfo(zone)) calls per second

    def over_zone_conversion(self) -> dict[str, float]:
        """end_time calls/s over zone conversions/s, by type (empty without the latter)."""
        if not self.zone_conversion:
            return {}
        return {k: v / self.zone_conversion for k, v in self.end_time.items()}

    def as_json(self) -> dict[str, object]:
        return {
            "end_time_calls_per_second": {k: round(v) for k, v in self.end_time.items()},
            "next_handoffs_calls_per_second": {k: round(v) for k, v in self.next_handoffs.items()},
            "zone_conversion_calls_per_second": (
                round(self.zone_conversion) if self.zone_conversion else None
            ),
            "end_time_over_zone_conversion": {
                k: round(v, 3) for k, v in self.over_zone_conversion().items()
            },
        }


def measure_zone_conversion_rate(seconds: float) -> float:
    """`datetime.fromtimestamp(t, ZoneInfo(zone))` calls per second, on gridbench's instants."""
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    stamps = [
        (BENCH_FIRST_INSTANT + i * BENCH_INSTANT_SPACING).timestamp() for i in range(BENCH_INSTANTS)
    ]
    zone = BENCH_TIME_ZONE
    calls = 0
    began = perf_counter()
    while True:
        for t in stamps:
            datetime.fromtimestamp(t, ZoneInfo(zone))
        calls += len(stamps)
        elapsed = perf_counter() - began
        if elapsed >= seconds:
            return calls / elapsed


def steps(profile: Profile) -> int:
    return len(GRID_TYPES) + 1


def run(profile: Profile, step: Callable[[str], None]) -> GridRates:
    end_time: dict[str, float] = {}
    next_handoffs: dict[str, float] = {}
    for grid_type in GRID_TYPES:
        step(f"grid: {grid_type}")
        end_time[grid_type] = measure_end_time_rate(grid_type, profile.grid_seconds)
        next_handoffs[grid_type] = measure_next_handoffs_rate(grid_type, profile.grid_seconds)
    step("grid: zone conversion")
    return GridRates(end_time, next_handoffs, measure_zone_conversion_rate(profile.grid_seconds))
