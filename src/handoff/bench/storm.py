"""Scenario 2, the handoff storm: N rotations due at the same instant.

For each engine configuration (queue engine with 1 and with 2 worker processes, batch engine)
the workers start once; then for each N the rotations are created, released for one instant
(two seconds ahead for the queue engine, so that its dispatcher sees the instant coming as it
would a real boundary; at once for the batch engine, which reads state, not run times), and the
bench waits until every handoff is recorded. The batch engine applies at most 150 rotations per
5-second cycle, so it is observed for a capped time and its rate extrapolated.
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
from handoff.bench.workers import EngineKind, Workers

CONFIGS: tuple[tuple[EngineKind, int], ...] = (("queue", 1), ("queue", 2), ("batch", 1))
QUEUE_LEAD = timedelta(seconds=2)  # more than the dispatcher's sleep plus look-ahead
POLL_SECONDS = 0.05


def config_name(engine: EngineKind, processes: int) -> str:
    return f"{engine}_{processes}"


@dataclass(frozen=True, slots=True)
class StormRound:
    config: str
    rotations: int
    complete: bool
    seconds: float  # from the instant to the last handoff, or to the end of observation
    lag: lag.Lag
    work: Work
    rss_mb: list[float]

    @property
    def handoffs_per_second(self) -> float:
        return self.lag.recorded / self.seconds if self.seconds > 0 else 0.0

    @property
    def projected_seconds(self) -> float:
        """Time to record every handoff, extrapolated when observation stopped earlier."""
        rate = self.handoffs_per_second
        return self.seconds if self.complete else (self.rotations / rate if rate else float("inf"))

    def as_json(self) -> dict[str, object]:
        return {
            "config": self.config,
            "rotations": self.rotations,
            "complete": self.complete,
            "seconds_to_all_recorded": round(self.seconds, 3) if self.complete else None,
            "observed_seconds": round(self.seconds, 3),
            "projected_seconds_to_all_recorded": round(self.projected_seconds, 1),
            "handoffs_per_second": round(self.handoffs_per_second, 1),
            "statements_per_handoff": (
                round(self.work.statements / self.lag.recorded, 2) if self.lag.recorded else None
            ),
            "worker_rss_mb": self.rss_mb,
            **self.lag.as_json(),
            "db_work": self.work.as_json(),
        }


def steps(profile: Profile) -> int:
    return len(CONFIGS) * len(profile.storm_sizes)


def _round(
    conn: psycopg.Connection[tuple[object, ...]],
    workers: Workers,
    size: int,
    profile: Profile,
    meter: Meter,
) -> StormRound:
    population.reset(conn)
    layout = population.storm_layout(population.now())
    population.populate(conn, size, layout)
    meter.start()
    lead = QUEUE_LEAD if workers.engine == "queue" else timedelta(0)
    due = population.now() + lead
    population.release(conn, size, layout, first_due=due)
    cap = profile.storm_batch_cap_seconds if workers.engine == "batch" else None
    deadline_seconds = lead.total_seconds() + (cap or profile.storm_timeout_seconds)
    started = time.monotonic()
    complete = False
    while time.monotonic() - started < deadline_seconds:
        if lag.recorded(conn) >= size:
            complete = True
            break
        workers.check_alive()
        workers.sample_rss()
        time.sleep(POLL_SECONDS)
    observed = (population.now() - due).total_seconds()
    work = meter.stop()
    measured = lag.measure(conn)
    seconds = measured.span_seconds if complete else observed
    return StormRound(
        config_name(workers.engine, workers.processes), size, complete, seconds, measured, work, []
    )


def run(
    url: str, profile: Profile, source: Source, step: Callable[[str], None]
) -> list[StormRound]:
    rounds: list[StormRound] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for engine, processes in CONFIGS:
            population.reset(conn)
            with Workers(url, engine, processes) as workers:
                done: list[StormRound] = []
                for size in profile.storm_sizes:
                    step(f"storm: {workers.label}, {size:,} rotations")
                    done.append(_round(conn, workers, size, profile, Meter(url, source)))
            rss = workers.max_rss_mb()
            rounds += [
                StormRound(r.config, r.rotations, r.complete, r.seconds, r.lag, r.work, rss)
                for r in done
            ]
    return rounds
