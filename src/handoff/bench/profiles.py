"""The sizes and durations of a bench run: `--quick` (under 4 minutes) and the full run.

The full run (under 45 minutes on a 2-core machine) adds what bench.md's second round asks of
it alone: idle at 1,000,000 rotations (populated set-based in about a minute), the "Monday
09:00" storm of 100,000 rotations (queue engine, 2 workers), the 1,000 storms and the queue
engine with one worker, and the subscribed storm of 10,000. `--quick` measures the storm of
10,000 with 2 workers beside the batch engine, both ceilings, idle at 1,000 and 100,000, steady
lag and grid. It leaves out the subscribed storm: its two storms take about a minute, and on
2026-11-30 the outbox drained at about 24 messages/s (one delivery job per channel at a time),
so delivering 10,000 messages takes about 7 minutes, beyond the quick budget of 4; the full run
waits for them up to `subscribed_drain_seconds`.
"""

from __future__ import annotations

from dataclasses import dataclass

from handoff.bench.workers import EngineKind

StormConfig = tuple[EngineKind, int]  # (engine, worker processes)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    idle_sizes: tuple[int, ...]
    idle_warmup_seconds: float
    idle_window_seconds: float  # a whole number of batch cycles (5 s each)
    storm_configs: tuple[StormConfig, ...]
    storm_sizes: tuple[int, ...]
    monday_size: int | None  # the "Monday 09:00" storm (queue engine, 2 workers); None: skip
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
    subscribed_size: int | None  # the storm with every rotation subscribed; None: skip
    subscribed_drain_seconds: float  # after the storm, at most this long for every delivery
    active_size: int | None = None  # the storm opening every rotation's active hours
    reads_size: int = 0  # scenario 6, the reads at R rotations; 0: skip
    reads_seconds: float = 15.0  # each closed loop of scenario 6 (a)
    stall_rotations: int = 10_000  # scenario `stall` (issue 24, only when asked for); 0: skip
    stall_clients: int = 60  # its slow clients
    stall_seconds: float = 60.0  # how long it attacks


QUICK = Profile(
    name="quick",
    idle_sizes=(1_000, 100_000),
    idle_warmup_seconds=1.0,
    idle_window_seconds=10.0,
    storm_configs=(("queue", 2), ("batch", 1)),
    storm_sizes=(10_000,),
    monday_size=None,
    storm_batch_cap_seconds=11.0,  # two cycles: one may be under way at release
    storm_timeout_seconds=60.0,
    steady_rotations=1_250,  # the full run's rate (83 per second) over a shorter window
    steady_window_seconds=15.0,
    ceiling_levels=((1, 4), (2, 8)),
    ceiling_transactions_per_level=1_000,
    pgbench_rotations=10_000,
    pgbench_clients=(4, 8, 16),
    pgbench_seconds=3,
    grid_seconds=0.2,
    subscribed_size=None,
    subscribed_drain_seconds=0.0,
    active_size=10_000,
    reads_size=10_000,
    stall_seconds=20.0,
)

FULL = Profile(
    name="full",
    idle_sizes=(1_000, 10_000, 100_000, 1_000_000),
    idle_warmup_seconds=5.0,
    idle_window_seconds=60.0,
    storm_configs=(("queue", 1), ("queue", 2), ("batch", 1)),
    storm_sizes=(1_000, 10_000),
    monday_size=100_000,
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
    subscribed_size=10_000,
    subscribed_drain_seconds=600.0,
    active_size=10_000,
    reads_size=100_000,
)

# Minuscule sizes for the tests: every code path, in seconds.
TINY = Profile(
    name="tiny",
    idle_sizes=(50,),
    idle_warmup_seconds=0.0,
    idle_window_seconds=2.0,  # shorter than a batch cycle: the batch engine may show no work
    storm_configs=(("queue", 1), ("queue", 2), ("batch", 1)),
    storm_sizes=(40,),
    monday_size=60,
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
    subscribed_size=30,
    subscribed_drain_seconds=60.0,
    active_size=30,
    reads_size=60,
    reads_seconds=1.0,
    stall_rotations=200,
    stall_clients=8,
    stall_seconds=6.0,
)
