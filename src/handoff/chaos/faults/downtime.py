"""Fault 3: the whole engine stopped for three days.

Simulated by old state, which is all an engine sees after downtime: every rotation's current
shift began `downtime` ago and its run time is long past. On start the engine must step each
rotation through every boundary since, one participant per boundary (about 72 for an hourly
rotation, across DST changes in some zones), recording each boundary exactly once.
"""

from __future__ import annotations

import time

from handoff.chaos import invariants, population
from handoff.chaos.context import Context, Profile, utcnow
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor

NAME = "downtime"
WORKERS = 2
SEED = 3


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    since = utcnow() - profile.downtime
    population.write(ctx.url, NAME, population.behind(profile.downtime_rotations, since, seed=SEED))
    ctx.say(f"{NAME}: {profile.downtime_rotations} rotations last run {profile.downtime} ago")
    with Supervisor(ctx.url, ctx.log_dir) as workers:
        started = time.monotonic()
        workers.start("queue", WORKERS)
        check = invariants.settle(ctx.url, NAME, profile.settle, between=workers.restart_dead)
        caught_up = time.monotonic() - started
    grids = ", ".join(f"{kind} x{length}" for kind, length in population.BEHIND_GRIDS)
    load = (
        f"{profile.downtime_rotations:,} rotations ({grids}; {len(population.ZONES)} zones) "
        f"whose state is {profile.downtime.days} days old; {WORKERS} queue workers started"
    )
    events: dict[str, float | int | str] = {
        "catch-up seconds (incl. worker start)": round(caught_up, 1),
        "boundaries per rotation": round(check.boundaries / max(check.rotations, 1), 1),
    }
    return FaultResult(NAME, load, check, time.monotonic() - began, events)
