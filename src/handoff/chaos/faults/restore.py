"""Fault 6: jobs deleted from the queue table, and a database restored from an old dump.

Simulated by the rows such a restore leaves: every rotation's state is `RESTORE_AGE` old
(the handoffs since are lost with the dump's tail), and the engine's bookkeeping is in one of
three shapes, in equal parts: the schedule row is owned by a job the queue table no longer
holds (jobs deleted, or never in the dump), the schedule row is gone, or it is simply
overdue. The sweep must find every rotation of the second kind and every overdue one of the
first (the dispatcher takes the third; a lost job's rotation not yet due is the sweep's once
it is), the engine must record every boundary since, and every rotation must end up
scheduled for its next handoff (the invariant checker's `unscheduled`).
"""

from __future__ import annotations

import time
from datetime import timedelta

from handoff.chaos import invariants, population
from handoff.chaos.context import Context, Profile, utcnow
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor
from handoff.engine.sweep import OVERDUE_GRACE

NAME = "restore"
RESTORE_AGE = timedelta(hours=1)
WORKERS = 2
SEED = 6
SCHEDULES: tuple[population.Schedule, ...] = ("lost_job", "none", "due")
REPAIR_EVENTS = ("missed update repaired", "unscheduled rotation repaired")


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    since = utcnow() - RESTORE_AGE
    planned = population.behind(profile.restore_rotations, since, seed=SEED, schedules=SCHEDULES)
    population.write(ctx.url, NAME, planned)
    # Rotations owned by a lost job are the sweep's once overdue; before that, not yet.
    overdue = utcnow() - OVERDUE_GRACE
    needs_sweep = sum(
        1
        for p in planned
        if p.schedule == "none"
        or (p.schedule == "lost_job" and p.grid.end_time(p.shift_start) < overdue)
    )
    ctx.say(f"{NAME}: {len(planned)} rotations an hour behind, {needs_sweep} lost to the queue")
    with Supervisor(ctx.url, ctx.log_dir) as workers:
        workers.start("queue", WORKERS)
        check = invariants.settle(ctx.url, NAME, profile.settle, between=workers.restart_dead)
        logged = workers.log_events()
    repaired = sum(logged[e] for e in REPAIR_EVENTS)
    failures = []
    if repaired < needs_sweep:
        failures.append(f"the sweep repaired {repaired} rotations, {needs_sweep} needed it")
    load = (
        f"{len(planned):,} rotations whose state is {RESTORE_AGE} old; a third owned by "
        "deleted jobs, a third without a schedule row, a third plainly overdue; "
        f"{WORKERS} queue workers started"
    )
    events: dict[str, float | int | str] = {
        "needing the sweep": needs_sweep,
        "repaired by the sweep": repaired,
    }
    return FaultResult(NAME, load, check, time.monotonic() - began, events, failures)
