"""Scenario 3, steady lag: rotations whose due instants are spread uniformly over a window.

One queue worker process (a default deployment) runs; the rotations are released with evenly
spaced instants starting two seconds ahead, so every boundary is seen coming by the dispatcher
as in production. The figure is the lag of each recorded handoff after its instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from handoff.bench import lag, population
from handoff.bench.dbwork import Meter, Source, Work
from handoff.bench.profiles import Profile
from handoff.bench.workers import Workers

LEAD = timedelta(seconds=2)
DRAIN_SECONDS = 10.0  # after the last instant, wait this long at most for stragglers
POLL_SECONDS = 0.25
PROCESSES = 1


@dataclass(frozen=True, slots=True)
class SteadyResult:
    rotations: int
    window_seconds: float
    lag: lag.Lag
    work: Work
    rss_mb: list[float]

    def as_json(self) -> dict[str, object]:
        return {
            "rotations": self.rotations,
            "window_seconds": self.window_seconds,
            "worker_processes": PROCESSES,
            "worker_rss_mb": self.rss_mb,
            "missing": self.rotations - self.lag.recorded,
            **self.lag.as_json(),
            "db_work": self.work.as_json(),
        }


def steps(profile: Profile) -> int:
    return 1


def run(url: str, profile: Profile, source: Source, step: Callable[[str], None]) -> SteadyResult:
    size, window = profile.steady_rotations, profile.steady_window_seconds
    step(f"steady: {size:,} rotations over {window:.0f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        population.reset(conn)
        layout = population.storm_layout(population.now())
        population.populate(conn, size, layout)
        with Workers(url, "queue", PROCESSES) as workers:
            meter = Meter(url, source)
            meter.start()
            first = population.now() + LEAD
            population.release(
                conn, size, layout, first_due=first, spacing=timedelta(seconds=window / size)
            )
            deadline = time.monotonic() + LEAD.total_seconds() + window + DRAIN_SECONDS
            while time.monotonic() < deadline and lag.recorded(conn) < size:
                workers.check_alive()
                workers.sample_rss()
                time.sleep(POLL_SECONDS)
            work = meter.stop()
        return SteadyResult(size, window, lag.measure(conn), work, workers.max_rss_mb())
