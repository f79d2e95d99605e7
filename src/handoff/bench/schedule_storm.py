"""The schedule storm (bench.md, round three): the storm of N whose rotations are layers of
N/3 schedules (three layers each, priority), beside the same storm without schedules.

The queue engine with 2 worker processes runs the plain storm (the baseline), then the same
storm after the schedules are made (set-based SQL, one statement per table). Each schedule is
caught up to just before its layers' boundary and due just after the rotations are released,
so every schedule records its one final change (its top layer passes the turn) while the
rotations hand off. The headline is the rotations' handoff throughput of the second storm
over the first (goal >= 0.7); then the bench waits for every schedule's change and checks
each is recorded exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import psycopg

from handoff.bench import storm
from handoff.bench.dbwork import Meter, Source
from handoff.bench.profiles import Profile
from handoff.bench.workers import Workers

PROCESSES = 2
LAYERS = 3
DRAIN_POLL_SECONDS = 0.5
DRAIN_SECONDS = 120.0
# Due a little after the storm's release (storm.QUEUE_LEAD after `prepare`): a schedule run
# before the release would find nothing to record and wait an hour. All at one instant, as
# schedules whose layers share a grid come due (a clock read per row made each its own instant).
DUE_AFTER = storm.QUEUE_LEAD + timedelta(seconds=1)

_SCHEDULES = """INSERT /* bench */ INTO schedules (id, name, time_zone, combine)
SELECT md5('bench-schedule:' || s)::uuid, 'bench schedule ' || s, 'UTC', 'priority'
FROM generate_series(0, (%(n)s - 1) / %(layers)s) s;

INSERT /* bench */ INTO schedule_layers (schedule_id, position, rotation_id)
SELECT md5('bench-schedule:' || ((g - 1) / %(layers)s))::uuid, (g - 1) %% %(layers)s,
       md5('bench:' || g)::uuid
FROM generate_series(1, %(n)s) g;

INSERT /* bench */ INTO schedule_state (schedule_id, caught_up_at, next_run_at)
SELECT id, (SELECT min(shift_start) FROM rotation_state) - interval '1 second',
       (SELECT clock_timestamp() + %(due_after)s)
FROM schedules;
"""
_RESET = "TRUNCATE /* bench */ schedule_history, schedule_state, schedule_layers, schedules CASCADE"


def schedule_count(size: int) -> int:
    return (size - 1) // LAYERS + 1


def make_schedules(conn: psycopg.Connection[Any], size: int) -> None:
    with conn.transaction():
        psycopg.ClientCursor(conn).execute(
            _SCHEDULES, {"n": size, "layers": LAYERS, "due_after": DUE_AFTER}
        )


def recorded(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """(history rows, schedules with exactly one row)."""
    row = conn.execute(
        "SELECT /* bench */ count(*), count(DISTINCT schedule_id) FILTER (WHERE n = 1)"
        " FROM (SELECT schedule_id, count(*) OVER (PARTITION BY schedule_id) AS n"
        " FROM schedule_history) h"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@dataclass(frozen=True, slots=True)
class ScheduleStormResult:
    rotations: int
    schedules: int
    baseline: storm.StormRound
    with_schedules: storm.StormRound
    history_rows: int
    recorded_once: int  # schedules with exactly one history row
    drain_seconds: float

    @property
    def throughput_ratio(self) -> float | None:
        base = self.baseline.handoffs_per_second
        return self.with_schedules.handoffs_per_second / base if base else None

    @property
    def every_change_once(self) -> bool:
        return self.history_rows == self.schedules == self.recorded_once

    def as_json(self) -> dict[str, object]:
        ratio = self.throughput_ratio
        return {
            "rotations": self.rotations,
            "schedules": self.schedules,
            "worker_processes": PROCESSES,
            "baseline": self.baseline.as_json(),
            "with_schedules": self.with_schedules.as_json(),
            "throughput_ratio": None if ratio is None else round(ratio, 3),
            "history_rows": self.history_rows,
            "recorded_once": self.recorded_once,
            "every_change_once": self.every_change_once,
            "drain_seconds": round(self.drain_seconds, 1),
        }


def steps(profile: Profile) -> int:
    return 3 if profile.storm_sizes else 0


def run(
    url: str, profile: Profile, source: Source, step: Callable[[str], None]
) -> ScheduleStormResult | None:
    if not profile.storm_sizes:
        return None
    size = max(profile.storm_sizes)
    count = schedule_count(size)

    def labelled(description: str) -> None:
        step(f"schedule {description}")

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_RESET)
        with Workers(url, "queue", PROCESSES) as workers:
            baseline = storm.one_round(conn, workers, size, profile, Meter(url, source), labelled)
            conn.execute(_RESET)
            stacked = storm.one_round(
                conn,
                workers,
                size,
                profile,
                Meter(url, source),
                labelled,
                prepare=lambda c: make_schedules(c, size),
            )
            step(f"schedule storm: waiting for {count:,} schedule changes")
            started = time.monotonic()
            while time.monotonic() - started < DRAIN_SECONDS and recorded(conn)[0] < count:
                workers.check_alive()
                time.sleep(DRAIN_POLL_SECONDS)
            drained = time.monotonic() - started
        rows, once = recorded(conn)
        rss = workers.max_rss_mb()
        return ScheduleStormResult(
            size,
            count,
            replace(baseline, rss_mb=rss),
            replace(stacked, rss_mb=rss),
            rows,
            once,
            drained,
        )
