"""Scenario 5, grid math: end_time and next_handoffs calls per second per rotation type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handoff.bench.profiles import Profile
from handoff.grid import GRID_TYPES
from handoff.gridbench import measure_end_time_rate, measure_next_handoffs_rate


@dataclass(frozen=True, slots=True)
class GridRates:
    end_time: dict[str, float]
    next_handoffs: dict[str, float]

    def as_json(self) -> dict[str, object]:
        return {
            "end_time_calls_per_second": {k: round(v) for k, v in self.end_time.items()},
            "next_handoffs_calls_per_second": {k: round(v) for k, v in self.next_handoffs.items()},
        }


def steps(profile: Profile) -> int:
    return len(GRID_TYPES)


def run(profile: Profile, step: Callable[[str], None]) -> GridRates:
    end_time: dict[str, float] = {}
    next_handoffs: dict[str, float] = {}
    for grid_type in GRID_TYPES:
        step(f"grid: {grid_type}")
        end_time[grid_type] = measure_end_time_rate(grid_type, profile.grid_seconds)
        next_handoffs[grid_type] = measure_next_handoffs_rate(grid_type, profile.grid_seconds)
    return GridRates(end_time, next_handoffs)
