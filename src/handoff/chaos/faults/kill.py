"""Fault 1: worker processes killed with SIGKILL at random moments during handoff storms.

`kill_per_minute` hourly rotations hand off at each of `kill_minutes` consecutive minutes
while `kill_workers` queue workers run. A random worker is SIGKILLed every few seconds
(uniform over `kill_interval`), plus once just after every boundary so that some kills land
mid-storm with jobs in flight, and a new process takes its place at once, as a supervisor
would. A killed worker's jobs are retried by the stalled-job sweep; the retry must change
nothing twice.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from handoff.chaos import invariants, population
from handoff.chaos.context import Context, Profile, boundaries, sleep_until, utcnow
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor

NAME = "kill"
KILL_AFTER_BOUNDARY = (0.05, 0.6)  # seconds after a boundary: inside the storm's processing
KILLS_AFTER_LAST = timedelta(seconds=10)  # keep killing while the last storm is retried
MIN_KILL_WINDOW = timedelta(seconds=20)  # without real-time boundaries, kill this long


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    rng = random.Random()
    minutes = boundaries(profile, profile.kill_minutes)
    population.write(ctx.url, NAME, population.on_boundaries(minutes, profile.kill_per_minute))
    ctx.say(
        f"{NAME}: {profile.kill_per_minute} rotations at each of {len(minutes)} minute(s), "
        f"{profile.kill_workers} workers"
    )
    with Supervisor(ctx.url, ctx.log_dir) as workers:
        workers.start("queue", profile.kill_workers)
        start = utcnow()
        end = max(minutes[-1] + KILLS_AFTER_LAST, start + MIN_KILL_WINDOW)
        planned = [b + timedelta(seconds=rng.uniform(*KILL_AFTER_BOUNDARY)) for b in minutes]
        at = start
        while at < end:
            at += timedelta(seconds=rng.uniform(*profile.kill_interval))
            planned.append(at)
        for when in sorted(w for w in planned if w >= start):
            sleep_until(when)
            alive = workers.alive("queue")
            if alive:
                workers.kill(rng.choice(alive))
                workers.replace_killed("queue")
            workers.restart_dead()
        check = invariants.settle(ctx.url, NAME, profile.settle, between=workers.restart_dead)
        events: dict[str, float | int | str] = {
            "workers": profile.kill_workers,
            "SIGKILLs": workers.kills,
            "unexpected exits": sum(workers.exits.values()),
            "stalled jobs retried": workers.log_events()["retried stalled job"],
        }
    load = (
        f"{profile.kill_per_minute:,} hourly rotations hand off at each of {len(minutes)} "
        f"whole minute(s); {profile.kill_workers} queue workers, one SIGKILLed every "
        f"{profile.kill_interval[0]:g}-{profile.kill_interval[1]:g} s and just after each "
        "boundary, replaced at once"
    )
    return FaultResult(NAME, load, check, time.monotonic() - began, events)
