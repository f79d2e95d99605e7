"""What every fault receives: where to work, how big to make it, and how to wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handoff.chaos.server import ChaosServer

# Time a fault needs between writing its rotations and their first boundary: worker start-up
# (about 3 s per process on a 2-core machine) and the dispatcher's look-ahead, with margin.
BOUNDARY_LEAD = timedelta(seconds=15)


@dataclass(frozen=True, slots=True)
class Profile:
    """Sizes and durations of one run. `realtime` puts boundaries in the run's future (lag
    is then the engine's real lag); otherwise they are just past, so no fault waits for a
    whole minute to come (the bounded test suite)."""

    name: str
    realtime: bool
    kill_minutes: int  # boundaries (one per minute) during the kill storm
    kill_per_minute: int  # rotations handing off at each of them
    kill_workers: int
    kill_interval: tuple[float, float]  # seconds between kills, uniform
    outage_rotations: int
    outage_seconds: float
    downtime_rotations: int
    downtime: timedelta
    mixed_boundaries: int
    mixed_per_boundary: int
    poison_healthy: int
    restore_rotations: int
    hosts_rotations: int  # the namespaced-hosts storm
    hosts_cut: timedelta  # how long one host's link is down
    settle: timedelta  # how long the checker waits for the engine to catch up after a fault


QUICK = Profile(
    name="quick",
    realtime=True,
    kill_minutes=1,
    kill_per_minute=1_000,
    kill_workers=3,
    kill_interval=(2.0, 5.0),
    outage_rotations=1_000,
    outage_seconds=6.0,
    downtime_rotations=300,
    downtime=timedelta(days=3),
    mixed_boundaries=1,
    mixed_per_boundary=500,
    poison_healthy=200,
    restore_rotations=600,
    hosts_rotations=1_000,
    hosts_cut=timedelta(seconds=30),
    settle=timedelta(seconds=60),
)
FULL = Profile(
    name="full",
    realtime=True,
    kill_minutes=5,
    kill_per_minute=1_000,
    kill_workers=3,
    kill_interval=(2.0, 5.0),
    outage_rotations=2_000,
    outage_seconds=15.0,
    downtime_rotations=2_000,
    downtime=timedelta(days=3),
    mixed_boundaries=3,
    mixed_per_boundary=1_000,
    poison_healthy=1_000,
    restore_rotations=3_000,
    hosts_rotations=2_000,
    hosts_cut=timedelta(seconds=30),
    settle=timedelta(seconds=120),
)


@dataclass(frozen=True, slots=True)
class Context:
    server: ChaosServer
    url: str  # the chaos database
    log_dir: Path
    say: Callable[[str], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def sleep_until(when: datetime) -> None:
    """Sleep until the wall-clock instant `when` (the engine's clock, the database server's,
    runs on this same machine)."""
    delay = (when - utcnow()).total_seconds()
    if delay > 0:
        time.sleep(delay)


def boundaries(profile: Profile, count: int) -> list[datetime]:
    """`count` consecutive whole minutes: the first after BOUNDARY_LEAD from now when the
    profile runs in real time, else the last ones already past (due at once)."""
    now = utcnow()
    if profile.realtime:
        first = (now + BOUNDARY_LEAD).replace(second=0, microsecond=0) + timedelta(minutes=1)
    else:
        first = now.replace(second=0, microsecond=0) - timedelta(minutes=count - 1)
    return [first + timedelta(minutes=k) for k in range(count)]
