"""Fault 4: the queue and batch engines together, and a rolling switch from batch to queue.

`mixed_per_boundary` rotations hand off at each of `mixed_boundaries` whole minutes. The batch
engine (GoAlert's port, at most 150 rotations per 5-second cycle) runs alone from the start;
QUEUE_JOINS_AFTER the first boundary, while the batch engine is still working through that
storm, a queue worker joins it. SWITCH_AFTER the second-to-last boundary (the only one, in a
one-boundary run) the batch engine is stopped with SIGTERM, mid-backlog, and a second queue
worker takes its place: the rolling switch. Any later boundary is the queue engine's alone.
Both engines lock the same rows and history is unique per boundary, so nothing may be
doubled or lost, and both must have recorded handoffs.
"""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg

from handoff.chaos import invariants, population
from handoff.chaos.context import Context, Profile, boundaries, sleep_until
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor

NAME = "mixed"
QUEUE_JOINS_AFTER = timedelta(seconds=5)  # one batch cycle: the batch engine has started
SWITCH_AFTER = timedelta(seconds=8)  # after the queue joined: both engines worked together

_BY_ENGINE = """
SELECT h.engine, count(*) FROM handoffs h JOIN chaos_baseline b ON b.rotation_id = h.rotation_id
WHERE b.fault = %s AND h.cause = 'boundary' GROUP BY h.engine ORDER BY h.engine
"""


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    minutes = boundaries(profile, profile.mixed_boundaries)
    population.write(ctx.url, NAME, population.on_boundaries(minutes, profile.mixed_per_boundary))
    ctx.say(f"{NAME}: batch and queue engines over {len(minutes)} minute(s), then queue only")
    with Supervisor(ctx.url, ctx.log_dir) as workers:
        (batch,) = workers.start("batch")
        sleep_until(minutes[0] + QUEUE_JOINS_AFTER)
        workers.start("queue")
        switch_at = minutes[-2] if len(minutes) > 1 else minutes[-1]
        sleep_until(switch_at + SWITCH_AFTER)
        workers.terminate(batch)
        workers.start("queue")
        sleep_until(minutes[-1])  # the queue engine's own boundary must come before the check
        check = invariants.settle(ctx.url, NAME, profile.settle, between=workers.restart_dead)
    with psycopg.connect(ctx.url) as conn:
        by_engine = {str(e): int(n) for e, n in conn.execute(_BY_ENGINE, (NAME,)).fetchall()}
    failures = []
    for engine in ("batch", "queue"):
        if not by_engine.get(engine):
            failures.append(f"the {engine} engine recorded no handoff: it was not exercised")
    load = (
        f"{profile.mixed_per_boundary:,} hourly rotations hand off at each of {len(minutes)} "
        f"whole minute(s); batch engine alone, a queue worker joins "
        f"{QUEUE_JOINS_AFTER.total_seconds():g} s after the first boundary; "
        f"{SWITCH_AFTER.total_seconds():g} s after the "
        + ("second-to-last" if len(minutes) > 1 else "boundary")
        + " the batch engine is stopped and a second queue worker starts"
    )
    events: dict[str, float | int | str] = {
        f"handoffs by {engine}": count for engine, count in by_engine.items()
    }
    return FaultResult(NAME, load, check, time.monotonic() - began, events, failures)
