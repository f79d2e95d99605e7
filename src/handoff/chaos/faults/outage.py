"""Fault 2: PostgreSQL goes away in the middle of a handoff storm.

`outage_rotations` rotations hand off at one whole minute; just after it, while the storm is
being processed, the database goes away for `outage_seconds`: the private embedded server is
stopped and started again, or, on a server the suite does not own, every connection to its
database is terminated with pg_terminate_backend again and again for that long. Meanwhile an
API process is asked for data every API_POLL_SECONDS: while the database is away it must
answer 503 with a problem body, each answer within the API's own time limits, never hang;
afterwards it must answer 200 again without being restarted. Workers must carry on: a worker
process that exits is a failure of the fault (it is restarted, as a supervisor would, only so
that the invariants can still be checked).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from handoff.chaos import invariants, population, server
from handoff.chaos.api import ApiProcess, api_process
from handoff.chaos.context import Context, Profile, boundaries, sleep_until
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor
from handoff.http.app import CONNECT_TIMEOUT_SECONDS, POOL_TIMEOUT_SECONDS

NAME = "outage"
WORKERS = 3
OUTAGE_AFTER_BOUNDARY = timedelta(milliseconds=300)  # inside the storm's processing
API_POLL_SECONDS = 0.5
# An answer must come within the API's pool wait plus one connection attempt, plus slack for
# a loaded 2-core machine; the client gives up much later, so a hang is seen as one.
API_ANSWER_BUDGET = POOL_TIMEOUT_SECONDS + CONNECT_TIMEOUT_SECONDS + 2.0
API_CLIENT_TIMEOUT = 30.0
API_RECOVERY_TIMEOUT = timedelta(seconds=30)
TERMINATE_EVERY_SECONDS = 0.25
PROBE_PATH = "/api/v1/rotations?limit=1"


@dataclass
class ApiProbe:
    """What the API answered while the database was away (`url`: must never be shown)."""

    url: str
    answers: dict[str, int] = field(default_factory=dict)
    slowest: float = 0.0
    problems: list[str] = field(default_factory=list)

    def ask(self, client: httpx.Client) -> None:
        started = time.monotonic()
        try:
            response = client.get(PROBE_PATH)
        except httpx.HTTPError as exc:
            self.problems.append(f"the API did not answer: {type(exc).__name__}")
            return
        took = time.monotonic() - started
        self.slowest = max(self.slowest, took)
        key = str(response.status_code)
        self.answers[key] = self.answers.get(key, 0) + 1
        if took > API_ANSWER_BUDGET:
            self.problems.append(f"an answer took {took:.1f} s (budget {API_ANSWER_BUDGET:g} s)")
        if response.status_code == 503:
            body = response.json()
            if response.headers.get("content-type") != "application/problem+json" or not {
                "type",
                "title",
                "status",
                "detail",
            } <= set(body):
                self.problems.append(f"a 503 without a problem body: {response.text[:200]}")
        elif response.status_code != 200:
            self.problems.append(f"unexpected status {response.status_code}")
        if self.url in response.text:
            self.problems.append("an answer shows the database URL")


def _outage(
    ctx: Context, profile: Profile, api: ApiProcess, probe: ApiProbe, workers: Supervisor
) -> int:
    """Take the database away for `outage_seconds`, probing the API; terminations made."""
    terminated = 0
    end = time.monotonic() + profile.outage_seconds
    with api.client(API_CLIENT_TIMEOUT) as client:
        if ctx.server.can_restart:
            ctx.server.stop()
            while time.monotonic() < end:
                probe.ask(client)
                workers.restart_dead()
                time.sleep(API_POLL_SECONDS)
            ctx.server.start()
        else:
            while time.monotonic() < end:
                terminated += server.terminate_connections(ctx.url)
                probe.ask(client)
                workers.restart_dead()
                time.sleep(TERMINATE_EVERY_SECONDS)
    return terminated


def _recovered(api: ApiProcess) -> float | None:
    """Seconds until the API answers 200 again, or None if it does not within the limit."""
    started = time.monotonic()
    with api.client(API_CLIENT_TIMEOUT) as client:
        while time.monotonic() - started < API_RECOVERY_TIMEOUT.total_seconds():
            try:
                if client.get(PROBE_PATH).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(API_POLL_SECONDS)
    return None


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    (boundary,) = boundaries(profile, 1)
    population.write(ctx.url, NAME, population.on_boundaries([boundary], profile.outage_rotations))
    how = "restart" if ctx.server.can_restart else "pg_terminate_backend"
    ctx.say(f"{NAME}: {profile.outage_rotations} rotations, database {how} mid-storm")
    probe = ApiProbe(ctx.url)
    failures: list[str] = []
    with (
        api_process(ctx.url, ctx.log_dir, NAME) as api,
        Supervisor(ctx.url, ctx.log_dir) as workers,
    ):
        workers.start("queue", WORKERS)
        sleep_until(boundary + OUTAGE_AFTER_BOUNDARY)
        terminated = _outage(ctx, profile, api, probe, workers)
        recovery = _recovered(api)
        check = invariants.settle(ctx.url, NAME, profile.settle, between=workers.restart_dead)
        exits = sum(workers.exits.values())
        tails = workers.exit_tails()
    if ctx.server.can_restart and not probe.answers.get("503"):
        failures.append("the API never answered 503 while the database was stopped")
    failures.extend(sorted(set(probe.problems)))
    if exits:
        failures.append(
            f"{exits} worker process(es) exited: a database restart must never need a"
            " supervisor; the first one's log ends:\n" + tails[0]
        )
    if recovery is None:
        failures.append(f"the API did not answer 200 within {API_RECOVERY_TIMEOUT} after")
    load = (
        f"{profile.outage_rotations:,} hourly rotations hand off at one whole minute; "
        f"{OUTAGE_AFTER_BOUNDARY.total_seconds():g} s after it the database goes away for "
        f"{profile.outage_seconds:g} s ({how}); {WORKERS} queue workers and an API process"
    )
    events: dict[str, float | int | str] = {
        "outage": how,
        "API answers": ", ".join(f"{k} x{v}" for k, v in sorted(probe.answers.items())),
        "slowest API answer s": round(probe.slowest, 2),
        "API back after s": "never" if recovery is None else round(recovery, 2),
        "worker exits": exits,
    }
    if terminated:
        events["connections terminated"] = terminated
    return FaultResult(NAME, load, check, time.monotonic() - began, events, failures)
