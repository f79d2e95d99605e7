"""Fault 5: a rotation whose job fails every time (bad data), among healthy ones.

`poison_healthy` healthy rotations and one whose time zone was written by hand as a name
that does not exist share a boundary, so the bad one starts inside a batch job. It must be
split out and retried alone with growing waits (`attempts` and the gaps between the job's
starts), while every healthy rotation hands off; it must show in the API's job list (the data
behind the engine page) and in the worker's `handoff_job_failures_total`. Then the data is
fixed with plain SQL, as an operator would, and the rotation must be brought up to date.
Fixing a time zone is a grid edit, so by the rules the shift restarts at the fix: the
invariant checker's core call (`state.settle`, with the rotation's grid_changed_at) says
exactly what must then be recorded.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from datetime import timedelta

import httpx
import psycopg

from handoff.chaos import invariants, population
from handoff.chaos.api import READY_TIMEOUT_SECONDS, api_process, logged_port, wait_for
from handoff.chaos.context import Context, Profile, boundaries, sleep_until
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor
from handoff.grid import Grid

NAME = "poison"
BAD_ZONE = "Chaos/Nowhere"
FIXED_ZONE = "UTC"
WORKERS = 2  # each serves its metrics on a port of its own; the failures are summed
WANTED_ATTEMPTS = 3  # failures seen before the fix: enough to see the waits grow
FAILURE_TIMEOUT = timedelta(seconds=60)  # 2 + 4 + 8 s of backoff, and slack
POLL_SECONDS = 0.5
_FAILURES = re.compile(r"^handoff_job_failures_total (\S+)$", re.MULTILINE)

_POISON_JOB = """
SELECT j.id, j.status::text, j.attempts FROM procrastinate_jobs j
WHERE j.queueing_lock = %(lock)s OR j.args -> 'rotation_ids' = jsonb_build_array(%(id)s::text)
ORDER BY j.id DESC LIMIT 1
"""
_STARTS = """
SELECT e.at FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id
WHERE e.type = 'started' AND j.args -> 'rotation_ids' = jsonb_build_array(%(id)s::text)
ORDER BY e.at
"""


def _failures_metric(port: int) -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return 0.0
    found = _FAILURES.search(text)
    return float(found.group(1)) if found else 0.0


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    (boundary,) = boundaries(profile, 1)
    planned = population.on_boundaries([boundary], profile.poison_healthy + 1)
    bad = planned[0]
    planned[0] = population.Planned(
        Grid(bad.grid.type, bad.grid.shift_length, bad.grid.start, FIXED_ZONE),
        bad.shift_start,
        stored_zone=BAD_ZONE,
    )
    poison_id = population.write(ctx.url, NAME, planned)[0]
    ctx.say(f"{NAME}: {profile.poison_healthy} healthy rotations and one with a bad time zone")
    failures: list[str] = []
    events: dict[str, float | int | str] = {}
    with (
        # At info level, so that each logs the metrics port it bound ("metrics served").
        Supervisor(ctx.url, ctx.log_dir, {"HANDOFF_LOG_LEVEL": "info"}) as workers,
        api_process(ctx.url, ctx.log_dir, NAME) as api,
    ):
        started = workers.start("queue", WORKERS, args=("--metrics-port", "0"))
        ports = [
            wait_for(w.log, w.process, logged_port("metrics served"), READY_TIMEOUT_SECONDS)
            for w in started
        ]
        sleep_until(boundary)
        attempts = _wait_for_failures(ctx.url, poison_id)
        metric = sum(_failures_metric(port) for port in ports)
        healthy = invariants.check(ctx.url, NAME)
        events["attempts before the fix"] = attempts
        events["handoff_job_failures_total (all workers)"] = metric
        starts = _start_gaps(ctx.url, poison_id)
        events["seconds between attempts"] = ", ".join(f"{g:.1f}" for g in starts) or "-"
        if attempts < WANTED_ATTEMPTS:
            failures.append(f"the bad rotation's job ran {attempts} times, not retried")
        if len(starts) >= 2 and not all(b > a for a, b in itertools.pairwise(starts)):
            failures.append(f"the waits between attempts do not grow: {starts}")
        if metric <= 0:
            failures.append("handoff_job_failures_total did not count the failures")
        if healthy.missing or healthy.pending:
            failures.append(
                f"healthy rotations waited on the bad one: {healthy.missing + healthy.pending}"
                " boundaries not recorded while it failed"
            )
        with api.client(timeout=10) as client:
            listed = client.get("/api/v1/jobs", params={"rotation_id": str(poison_id)})
        shown = listed.status_code == 200 and any(
            j["attempts"] >= 1 for j in listed.json()["items"]
        )
        events["shown by GET /api/v1/jobs"] = "yes" if shown else "no"
        if not shown:
            failures.append(f"the failing job is not in the API's job list: {listed.text[:200]}")
        fixed = time.monotonic()
        with psycopg.connect(ctx.url, autocommit=True) as conn:
            conn.execute(
                "UPDATE rotations SET time_zone = %s WHERE id = %s", (FIXED_ZONE, poison_id)
            )
        check = invariants.settle(ctx.url, NAME, profile.settle, between=workers.restart_dead)
        events["repaired after the fix, s"] = round(time.monotonic() - fixed, 1)
    load = (
        f"{profile.poison_healthy:,} healthy hourly rotations and one with time zone "
        f"{BAD_ZONE!r} share a boundary; {WORKERS} queue workers; fixed with SQL after "
        f"{WANTED_ATTEMPTS} failed attempts"
    )
    return FaultResult(NAME, load, check, time.monotonic() - began, events, failures)


def _wait_for_failures(url: str, poison_id: uuid.UUID) -> int:
    """Wait until the bad rotation's job has run WANTED_ATTEMPTS times; its attempts."""
    deadline = time.monotonic() + FAILURE_TIMEOUT.total_seconds()
    attempts = 0
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                _POISON_JOB, {"lock": f"rotation:{poison_id}", "id": str(poison_id)}
            ).fetchone()
            attempts = int(row[2]) if row else 0
            if attempts >= WANTED_ATTEMPTS:
                break
            time.sleep(POLL_SECONDS)
    return attempts


def _start_gaps(url: str, poison_id: uuid.UUID) -> list[float]:
    """Seconds between consecutive starts of the bad rotation's own job."""
    with psycopg.connect(url) as conn:
        starts = [r[0] for r in conn.execute(_STARTS, {"id": str(poison_id)}).fetchall()]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
