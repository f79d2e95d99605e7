"""Scenario 1, idle cost vs size: the database work an engine causes when nothing is due.

For each size R, R daily rotations whose next handoffs are spread over the day (none within ten
minutes) are created; then each engine in turn runs alone for the window while the meter counts
the statements and database time it causes. The batch engine reads and locks every rotation
each cycle, so its cost grows with R; the queue engine's dispatcher, sweep and worker polls
read indexes that hold only due work, so its cost must stay flat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from handoff.bench import population
from handoff.bench.dbwork import Meter, Source, Work
from handoff.bench.profiles import Profile
from handoff.bench.workers import EngineKind, Workers

ENGINES: tuple[EngineKind, ...] = ("batch", "queue")
RSS_SAMPLE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class IdleRun:
    rotations: int
    engine: EngineKind
    work: Work
    rss_mb: list[float]

    def as_json(self) -> dict[str, object]:
        return {
            "rotations": self.rotations,
            "engine": self.engine,
            "worker_rss_mb": self.rss_mb,
            **self.work.as_json(),
        }


def steps(profile: Profile) -> int:
    return len(profile.idle_sizes) * len(ENGINES)


def _measure(workers: Workers, meter: Meter, seconds: float) -> Work:
    meter.start()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(RSS_SAMPLE_SECONDS, left))
        workers.check_alive()
        workers.sample_rss()
    return meter.stop()


def run(url: str, profile: Profile, source: Source, step: Callable[[str], None]) -> list[IdleRun]:
    runs: list[IdleRun] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for size in profile.idle_sizes:
            population.reset(conn)
            population.populate(conn, size, population.idle_layout(population.now()))
            for engine in ENGINES:
                step(f"idle: {engine} engine, {size:,} rotations")
                with Workers(url, engine, processes=1) as workers:
                    time.sleep(profile.idle_warmup_seconds)
                    work = _measure(workers, Meter(url, source), profile.idle_window_seconds)
                runs.append(IdleRun(size, engine, work, workers.max_rss_mb()))
    return runs
