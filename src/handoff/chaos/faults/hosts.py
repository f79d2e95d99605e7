"""Fault 7: two worker hosts, one cut off from the database for a while, then a database restart.

deploy.md, "Hosts and networks": each host is a network namespace joined by a veth pair to a
bridge in the root namespace (chaos/netns.py, root only), where PgBouncer in transaction mode
listens on the bridge's address in front of the chaos server. One worker process runs on each
host, in pooler mode. A storm hands off at one instant; once host 1 is running some of its jobs,
host 1's link goes down for `hosts_cut` (a partition: the process lives, its connections hang).
The rotations of the jobs host 1 held at the cut must be handed off by host 2 within
TAKEOVER_GOAL of their instant (their takeover lag is measured one by one), and host 1 must
check in again on its own when its link comes back, without a restart. Then the database
restarts (a fast shutdown and start of the private server; with a server given by URL, every
connection to the chaos database is terminated instead) and both hosts must check in again.
Every handoff is recorded once (the invariant checker), and no worker process exits. The
database is set up as README asks: `idle_in_transaction_session_timeout` of
IDLE_IN_TRANSACTION_LIMIT, without which host 1's transaction cut mid-way keeps its locks (and
the sweep's or the dispatcher's turn) until TCP gives up, and nothing is taken over.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from handoff.chaos import invariants, netns, pgbouncer, population, server
from handoff.chaos.context import Context, Profile, boundaries, sleep_until
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor
from handoff.worker import WORKERS_PER_PROCESS

NAME = "hosts"
# What README's "Running in production" asks operators to set on the database: a client cut off
# inside a transaction (its locks held) is dropped by the server after this long.
IDLE_IN_TRANSACTION_LIMIT = "2s"
TAKEOVER_GOAL = timedelta(seconds=5)  # deploy.md: a cut-off worker costs at most 5 s of lag
IN_FLIGHT_SETTLE = 0.5  # seconds for the cut host's statements under way at the server to end
HELD_WAIT = 20.0  # seconds for host 1 to take some of the storm's jobs
CUT_ATTEMPTS = 4  # cuts that land during a job's write strand nothing; so many are tried
# How often a host is asked whether it holds a job yet: the sooner it is cut after its fetch,
# the likelier its write call has not reached the server (at 0.1 s, a cut came during the
# write often enough for a whole storm to pass with nothing stranded).
CUT_POLL = 0.005
CHECK_IN_WAIT = 60.0  # seconds for a host to beat again after its link or the database returns


def _scalar(url: str, sql: str, params: Any = None) -> Any:
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def _worker_ids(url: str) -> set[int]:
    ids = _scalar(url, "SELECT coalesce(array_agg(id), '{}') FROM procrastinate_workers")
    return {int(i) for i in ids}


def _held(url: str, worker_ids: set[int], boundary: datetime) -> list[uuid.UUID]:
    """The rotations of the jobs these workers are running whose handoff at `boundary` is not
    recorded yet: what another worker must take over if these workers are cut off now."""
    held = _scalar(
        url,
        "SELECT coalesce(array_agg(DISTINCT r::uuid), '{}') FROM procrastinate_jobs j,"
        " jsonb_array_elements_text(j.args -> 'rotation_ids') r"
        " WHERE j.status = 'doing' AND j.worker_id = ANY(%s) AND NOT EXISTS ("
        "SELECT 1 FROM handoffs h WHERE h.rotation_id = r::uuid AND h.boundary_at = %s)",
        (list(worker_ids), boundary),
    )
    return [uuid.UUID(str(r)) for r in held]


def _lags(url: str, rotation_ids: list[uuid.UUID], cut_at: datetime, realtime: bool) -> list[float]:
    """Seconds from each rotation's instant to its handoff, for those handed off after the cut
    (by another host). A bounded run's instant is already past when the storm is written, so
    its lags are counted from the cut instead."""
    lags = _scalar(
        url,
        "SELECT coalesce(array_agg(extract(epoch FROM processed_at - CASE WHEN %(realtime)s"
        " THEN boundary_at ELSE %(cut)s END)::float), '{}') FROM handoffs"
        " WHERE cause = 'boundary' AND rotation_id = ANY(%(ids)s) AND processed_at > %(cut)s",
        {"realtime": realtime, "cut": cut_at, "ids": rotation_ids},
    )
    return sorted(float(lag) for lag in lags)


def _beating(url: str, worker_ids: set[int], since: datetime) -> int:
    return int(
        _scalar(
            url,
            "SELECT count(*) FROM procrastinate_workers WHERE id = ANY(%s) AND last_heartbeat > %s",
            (list(worker_ids), since),
        )
    )


def _wait(predicate: Callable[[], bool], seconds: float, poll: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def _server_now(url: str) -> datetime:
    now = _scalar(url, "SELECT clock_timestamp()")
    assert isinstance(now, datetime)
    return now


def _all_recorded(check: invariants.Check) -> bool:
    return check.recorded == check.boundaries > 0


@dataclass(frozen=True, slots=True)
class Cut:
    """A host's link cut while it held jobs (`cut_holding`)."""

    held: list[uuid.UUID]  # what it held once its statements at the server had finished
    at: datetime  # the server's clock at the cut
    clock: float  # time.monotonic() at the cut
    attempts: int  # cuts made: those during a job's write stranded nothing
    took_jobs: bool  # whether it held any job within HELD_WAIT of being asked


def cut_holding(
    network: netns.Network,
    host: int,
    holding: Callable[[], list[uuid.UUID]],
    server_now: Callable[[], datetime],
) -> Cut:
    """Cut `host`'s link once it holds jobs (`holding`: the rotations of its jobs not recorded
    yet). Its statements already at the server finish there (a fetch, a job's autocommit write
    call); what it holds once they have is stranded until another worker takes it over. A cut
    during a write call strands nothing: the link comes back at once and the next job the host
    takes is cut instead, up to CUT_ATTEMPTS cuts; the host is watched every CUT_POLL seconds
    so that a cut follows its fetch closely. The link is left down."""
    attempt = 1
    while True:
        took = _wait(lambda: bool(holding()), HELD_WAIT, CUT_POLL)
        network.cut(host)
        at, clock = server_now(), time.monotonic()
        time.sleep(IN_FLIGHT_SETTLE)
        held = holding()
        if held or not took or attempt == CUT_ATTEMPTS:
            return Cut(held, at, clock, attempt, took)
        network.heal(host)
        attempt += 1


def run(ctx: Context, profile: Profile) -> FaultResult:
    """The fault; where namespaces cannot be made (not root), a failed result saying why."""
    try:
        return _run(ctx, profile)
    except netns.Unavailable as exc:
        return FaultResult(NAME, "not run", invariants.Check(), 0.0, failures=[str(exc)])


def _run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    boundary = boundaries(profile, 1)[0]
    population.write(ctx.url, NAME, population.on_boundaries([boundary], profile.hosts_rotations))
    user = str(conninfo_to_dict(ctx.server.url).get("user") or "postgres")
    database = str(conninfo_to_dict(ctx.url)["dbname"])
    failures: list[str] = []
    events: dict[str, float | int | str] = {}
    with psycopg.connect(ctx.url, autocommit=True) as conn:
        conn.execute(
            f'ALTER DATABASE "{database}" SET idle_in_transaction_session_timeout'
            f" = '{IDLE_IN_TRANSACTION_LIMIT}'"
        )
    with (
        netns.network(hosts=2) as network,
        pgbouncer.running(ctx.server.url, users=(user,), listen_addr=network.gateway),
    ):
        pooled = f"postgresql://{user}@{network.gateway}:{pgbouncer.PORT}/{database}"
        env = {"HANDOFF_DATABASE_POOLER": "transaction"}
        hosts = [
            Supervisor(
                pooled,
                ctx.log_dir,
                extra_env=env,
                command_prefix=tuple(network.command(host, [])),
            )
            for host in (1, 2)
        ]
        try:
            before = _worker_ids(ctx.url)
            hosts[0].start("queue")
            host1 = _worker_ids(ctx.url) - before
            hosts[1].start("queue")
            ctx.say(f"{NAME}: {profile.hosts_rotations} rotations due at {boundary:%H:%M:%S}")
            sleep_until(boundary)
            cut = cut_holding(
                network, 1, lambda: _held(ctx.url, host1, boundary), lambda: _server_now(ctx.url)
            )
            if not cut.took_jobs:
                failures.append(f"host 1 ran none of the storm's jobs in {HELD_WAIT} s")
            held, cut_at, cut_clock = cut.held, cut.at, cut.clock
            events["cuts made until one stranded a job"] = cut.attempts
            ctx.say(f"{NAME}: host 1 cut off holding {len(held)} rotations")
            # The storm is recorded by host 2 meanwhile (or after the link returns, if not).
            storm_done = _wait(
                lambda: _all_recorded(invariants.check(ctx.url, NAME)),
                profile.hosts_cut.total_seconds(),
            )
            lags = _lags(ctx.url, held, cut_at, profile.realtime)
            time.sleep(max(0.0, cut_clock + profile.hosts_cut.total_seconds() - time.monotonic()))
            healed = _server_now(ctx.url)
            network.heal(1)
            resumed = _wait(
                lambda: _beating(ctx.url, host1, healed) == WORKERS_PER_PROCESS, CHECK_IN_WAIT
            )
            resumed_after = time.monotonic() - cut_clock - profile.hosts_cut.total_seconds()
            if ctx.server.can_restart:
                ctx.server.stop()
                ctx.server.start()
                restart = "fast shutdown and start"
            else:
                server.terminate_connections(ctx.url)
                restart = "every connection terminated"
            restarted = _server_now(ctx.url)
            host_ids = _worker_ids(ctx.url)
            back = _wait(lambda: _beating(ctx.url, host_ids, restarted) >= 2, CHECK_IN_WAIT)
            check = invariants.settle(ctx.url, NAME, profile.settle)
            exited = sum(1 for h in hosts for w in h.workers if w.process.poll() is not None)
        finally:
            for host in hosts:
                host.stop()
    if not storm_done:
        failures.append(f"the storm was not all recorded while host 1 was cut off ({NAME})")
    if not held:
        failures.append(f"each of {CUT_ATTEMPTS} cuts came during host 1's write: none stranded")
    elif not lags:
        failures.append(f"none of the {len(held)} rotations host 1 held was taken over")
    elif lags[-1] > TAKEOVER_GOAL.total_seconds():
        failures.append(f"host 1's rotations were taken over up to {lags[-1]:.2f} s late")
    if not resumed:
        failures.append(f"host 1 did not check in within {CHECK_IN_WAIT} s of its link's return")
    if not back:
        failures.append(f"the hosts did not check in within {CHECK_IN_WAIT} s of the restart")
    if exited:
        failures.append(f"{exited} worker processes exited")
    events |= {
        "rotations host 1 held at the cut": len(held),
        "of them taken over by host 2": len(lags),
        "takeover lag, max (s)": round(lags[-1], 2) if lags else "none",
        "takeover lag, min (s)": round(lags[0], 2) if lags else "none",
        "takeover lag counted from": "each rotation's instant" if profile.realtime else "the cut",
        "cut after the instant (s)": round((cut_at - boundary).total_seconds(), 2),
        "host 1 checked in again after its link returned (s)": round(resumed_after, 1),
        "database restart": restart,
    }
    load = (
        f"{profile.hosts_rotations:,} rotations at one instant, one worker on each of two "
        f"namespaced hosts through PgBouncer (transaction mode); host 1's link cut for "
        f"{profile.hosts_cut.total_seconds():.0f} s during the storm, then a database restart"
    )
    return FaultResult(NAME, load, check, time.monotonic() - began, events, failures)
