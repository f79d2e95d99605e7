"""The active-hours storm (bench.md, round three): the storm of N with every rotation's active
hours opening at the storm's instant.

The queue engine with 2 worker processes runs the plain storm (each rotation records one
`boundary`), then the same population with active hours that open at the released boundary
(a window from its wall time, UTC, for eight hours, every day): the rotation's turn does not
pass there (active turns count the first active unit into the current turn, hours.md), so each
records one `active_start` at that instant instead, through the same projection. The
`active_start` rows per second over the plain storm's boundaries per second is the headline,
and each rotation's row must be recorded once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import psycopg

from handoff.bench import population, storm
from handoff.bench.dbwork import Meter, Source
from handoff.bench.profiles import Profile
from handoff.bench.workers import Workers

PROCESSES = 2
WINDOW = timedelta(hours=8)
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# The rotations are the bench's own: their triggers are off for the edit, so that setting the
# hours is not a grid edit (which would restart each shift and enqueue every rotation) but the
# population as if it had been made with them.
_SET_HOURS = """ALTER /* bench */ TABLE rotations DISABLE TRIGGER USER;
UPDATE /* bench */ rotations SET active_hours = %(hours)s::jsonb, turns = 'active';
ALTER /* bench */ TABLE rotations ENABLE TRIGGER USER;"""


def hours_opening_at(conn: psycopg.Connection[Any]) -> None:
    """Give every rotation active hours opening at its next boundary (all share one: the
    storm layout's anchor, the last whole minute) on each day."""
    opens = population.storm_layout(population.now()).anchor
    window = {
        "days": DAYS,
        "from": opens.strftime("%H:%M"),
        "to": (opens + WINDOW).strftime("%H:%M"),
    }
    with conn.transaction():
        psycopg.ClientCursor(conn).execute(_SET_HOURS, {"hours": json.dumps([window])})


@dataclass(frozen=True, slots=True)
class ActiveResult:
    rotations: int
    baseline: storm.StormRound  # the plain storm: boundaries
    active: storm.StormRound  # the same population opening its active hours: active_start

    @property
    def throughput_ratio(self) -> float | None:
        base = self.baseline.handoffs_per_second
        return self.active.handoffs_per_second / base if base else None

    def as_json(self) -> dict[str, object]:
        ratio = self.throughput_ratio
        return {
            "rotations": self.rotations,
            "worker_processes": PROCESSES,
            "baseline": self.baseline.as_json(),
            "active": self.active.as_json(),
            "throughput_ratio": None if ratio is None else round(ratio, 3),
            "recorded_once": self.active.recorded_once,
        }


def steps(profile: Profile) -> int:
    return 2 if profile.active_size else 0


def run(
    url: str, profile: Profile, source: Source, step: Callable[[str], None]
) -> ActiveResult | None:
    size = profile.active_size
    if size is None:
        return None

    def labelled(description: str) -> None:
        step(f"active-hours {description}")

    with psycopg.connect(url, autocommit=True) as conn:
        with Workers(url, "queue", PROCESSES) as workers:
            baseline = storm.one_round(conn, workers, size, profile, Meter(url, source), labelled)
            active = storm.one_round(
                conn,
                workers,
                size,
                profile,
                Meter(url, source),
                labelled,
                prepare=hours_opening_at,
                cause="active_start",
            )
        rss = workers.max_rss_mb()
        return ActiveResult(size, replace(baseline, rss_mb=rss), replace(active, rss_mb=rss))
