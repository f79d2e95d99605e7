"""Scenario 2, the handoff storm: N rotations due at the same instant.

For each engine configuration (queue engine with 1 and with 2 worker processes, batch engine)
the workers start once; then for each N the rotations are created, released for one instant
(two seconds ahead for the queue engine, so that its dispatcher sees the instant coming as it
would a real boundary; at once for the batch engine, which reads state, not run times), and the
bench waits until every handoff is recorded. The batch engine applies at most 150 rotations per
5-second cycle, so it is observed for a capped time and its rate extrapolated.

The full run adds the "Monday 09:00" storm: the profile's `monday_size` rotations (100,000) due
at one instant, for the queue engine with 2 workers, after its other sizes. Every round checks
that each rotation's handoff was recorded once (no rotation twice).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import psycopg

from handoff.bench import lag, population
from handoff.bench.dbwork import Meter, Source, Work
from handoff.bench.profiles import Profile
from handoff.bench.workers import EngineKind, Workers

MONDAY_CONFIG: tuple[EngineKind, int] = ("queue", 2)
TIMEOUT_PER_ROTATIONS = 10_000  # the profile's storm timeout is for this many rotations
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
    rotations_recorded: int  # distinct rotations among the recorded handoffs

    @property
    def recorded_once(self) -> bool:
        """Every rotation's handoff recorded, none twice."""
        return self.lag.recorded == self.rotations_recorded == self.rotations

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
            "rotations_recorded": self.rotations_recorded,
            "recorded_once": self.recorded_once,
            **self.lag.as_json(),
            "db_work": self.work.as_json(),
        }


def _sizes(profile: Profile, engine: EngineKind, processes: int) -> tuple[int, ...]:
    if profile.monday_size is not None and (engine, processes) == MONDAY_CONFIG:
        return (*profile.storm_sizes, profile.monday_size)
    return profile.storm_sizes


def is_monday(r: StormRound, profile: Profile) -> bool:
    """Whether `r` is the profile's "Monday 09:00" storm."""
    return r.config == config_name(*MONDAY_CONFIG) and r.rotations == profile.monday_size


def steps(profile: Profile) -> int:
    return sum(len(_sizes(profile, engine, n)) for engine, n in profile.storm_configs)


def one_round(
    conn: psycopg.Connection[tuple[object, ...]],
    workers: Workers,
    size: int,
    profile: Profile,
    meter: Meter,
    step: Callable[[str], None],
    prepare: Callable[[psycopg.Connection[tuple[object, ...]]], None] = lambda _: None,
    cause: str = "boundary",
) -> StormRound:
    """Populate `size` rotations (then `prepare` the database), release them, wait for a
    history row of `cause` from each."""
    step(f"storm: {workers.label}, {size:,} rotations")
    population.reset(conn)
    layout = population.storm_layout(population.now())
    population.populate(conn, size, layout)
    prepare(conn)
    meter.start()
    lead = QUEUE_LEAD if workers.engine == "queue" else timedelta(0)
    due = population.now() + lead
    population.release(conn, size, layout, first_due=due)
    cap = profile.storm_batch_cap_seconds if workers.engine == "batch" else None
    timeout = profile.storm_timeout_seconds * max(1.0, size / TIMEOUT_PER_ROTATIONS)
    deadline_seconds = lead.total_seconds() + (cap or timeout)
    started = time.monotonic()
    complete = False
    while time.monotonic() - started < deadline_seconds:
        if lag.recorded(conn, cause) >= size:
            complete = True
            break
        workers.check_alive()
        workers.sample_rss()
        time.sleep(POLL_SECONDS)
    observed = (population.now() - due).total_seconds()
    work = meter.stop()
    measured = lag.measure(conn, cause)
    _, rotations_recorded = lag.rotations_recorded_once(conn, cause)
    seconds = measured.span_seconds if complete else observed
    return StormRound(
        config_name(workers.engine, workers.processes),
        size,
        complete,
        seconds,
        measured,
        work,
        [],
        rotations_recorded,
    )


def run(
    url: str, profile: Profile, source: Source, step: Callable[[str], None]
) -> list[StormRound]:
    rounds: list[StormRound] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for engine, processes in profile.storm_configs:
            population.reset(conn)
            with Workers(url, engine, processes) as workers:
                done = [
                    one_round(conn, workers, size, profile, Meter(url, source), step)
                    for size in _sizes(profile, engine, processes)
                ]
            rss = workers.max_rss_mb()
            rounds += [replace(r, rss_mb=rss) for r in done]
    return rounds
