"""The sizes and durations of a bench run: `--quick` (under 3 minutes) and the full run.

The full run leaves out bench.md's optional 1,000,000-rotation idle size: populating it takes
about a minute here and each batch-engine cycle then reads and locks a million rows, which
does not fit the 30-minute budget next to the other scenarios on a 2-core machine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    idle_sizes: tuple[int, ...]
    idle_warmup_seconds: float
    idle_window_seconds: float  # a whole number of batch cycles (5 s each)
    storm_sizes: tuple[int, ...]
    storm_batch_cap_seconds: float  # the batch engine applies 150 per 5 s: observe, then stop
    storm_timeout_seconds: float
    steady_rotations: int
    steady_window_seconds: float
    ceiling_levels: tuple[tuple[int, int], ...]  # (processes, connections per process)
    ceiling_transactions_per_level: int
    pgbench_rotations: int  # the ceiling's pgbench script picks one of these at random
    pgbench_clients: tuple[int, ...]  # pgbench -c, one run each
    pgbench_seconds: int  # pgbench -T, per run
    grid_seconds: float  # per measured function and rotation type


QUICK = Profile(
    name="quick",
    idle_sizes=(1_000, 10_000),
    idle_warmup_seconds=1.0,
    idle_window_seconds=10.0,
    storm_sizes=(1_000, 10_000),
    storm_batch_cap_seconds=6.0,
    storm_timeout_seconds=60.0,
    steady_rotations=1_250,  # the full run's rate (83 per second) over a shorter window
    steady_window_seconds=15.0,
    ceiling_levels=((1, 4), (2, 4), (2, 8)),
    ceiling_transactions_per_level=2_000,
    pgbench_rotations=10_000,
    pgbench_clients=(4, 8, 16),
    pgbench_seconds=3,
    grid_seconds=0.2,
)

FULL = Profile(
    name="full",
    idle_sizes=(1_000, 10_000, 100_000),
    idle_warmup_seconds=5.0,
    idle_window_seconds=60.0,
    storm_sizes=(1_000, 10_000),
    storm_batch_cap_seconds=31.0,
    storm_timeout_seconds=120.0,
    steady_rotations=10_000,
    steady_window_seconds=120.0,
    ceiling_levels=((1, 1), (1, 4), (1, 16), (2, 2), (2, 4), (2, 8), (3, 4), (4, 4)),
    ceiling_transactions_per_level=6_000,
    pgbench_rotations=10_000,
    pgbench_clients=(2, 4, 8, 16, 32),
    pgbench_seconds=10,
    grid_seconds=1.0,
)

# Minuscule sizes for the tests: every code path, in seconds.
TINY = Profile(
    name="tiny",
    idle_sizes=(50,),
    idle_warmup_seconds=0.0,
    idle_window_seconds=2.0,  # shorter than a batch cycle: the batch engine may show no work
    storm_sizes=(40,),
    storm_batch_cap_seconds=8.0,
    storm_timeout_seconds=30.0,
    steady_rotations=20,
    steady_window_seconds=2.0,
    ceiling_levels=((1, 1), (2, 2)),
    ceiling_transactions_per_level=20,
    pgbench_rotations=50,
    pgbench_clients=(1, 2),
    pgbench_seconds=1,
    grid_seconds=0.02,
)
