"""Many hosts, one PostgreSQL (deploy.md, "Hosts and networks"), in a bounded version.

Two worker "hosts" are network namespaces joined by veth pairs to a bridge in the root
namespace, where a private PostgreSQL (restartable: it is ours) sits behind PgBouncer in
transaction mode, listening on the bridge's test address. A storm is handed off while one
host's link is down (a partition: its worker lives, its connections hang), then the link comes
back and that worker carries on by itself; then the database restarts (fast shutdown, start)
under both workers and another storm is handed off. Every handoff is recorded once.
Skipped with the reason where namespaces cannot be made, unless HANDOFF_REQUIRE_NETNS is set
(.ci/run runs as root and sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from engine import test_processes as processes
from engine.conftest import HANDOFF
from engine.helpers import Conn, user
from handoff.chaos import netns, pgbouncer
from handoff.chaos.faults.hosts import CHECK_IN_WAIT, IDLE_IN_TRANSACTION_LIMIT, cut_holding
from handoff.embedded_pg import EmbeddedPostgres
from handoff.engine.sweep import STALLED_WORKER_TIMEOUT
from handoff.store import migrate

from .conftest import pgbouncer_required

pytestmark = pytest.mark.e2e

STORM = 3_000  # still under way through the cuts (cut_holding retries): host 1 holds jobs then
CUT = timedelta(seconds=10)  # the spec's 30 s, shortened for the suite
# The storm is all recorded within this of the cut: the stalled-job delay, then the work.
TAKEOVER_LIMIT = STALLED_WORKER_TIMEOUT + timedelta(seconds=12)
# deploy.md: the rotations a cut-off worker held are handed off by another within 5 s.
TAKEOVER_GOAL = timedelta(seconds=5)
HOUR = timedelta(hours=1)


@pytest.fixture
def hosts() -> Iterator[netns.Network]:
    try:
        with netns.network(hosts=2) as network:
            yield network
    except netns.Unavailable as exc:
        if os.environ.get("HANDOFF_REQUIRE_NETNS"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture
def private_server() -> Iterator[EmbeddedPostgres]:
    data_dir = Path(tempfile.mkdtemp(prefix="hohosts-"))
    server = EmbeddedPostgres(data_dir)
    try:
        with server.running():
            yield server
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _storm(conn: Conn, prefix: str, count: int) -> datetime:
    """`count` hourly rotations whose boundary B (the minute just past) is not handed off
    yet, left to the dispatcher; returns B."""
    now = datetime.now(UTC)
    boundary = now.replace(second=0, microsecond=0)
    ann, bob = user(conn, f"{prefix}-ann"), user(conn, f"{prefix}-bob")
    with conn.transaction():
        ids = conn.execute(
            "WITH r AS (INSERT INTO rotations (name, type, start_at, time_zone, grid_changed_at)"
            " SELECT %(prefix)s || g, 'hourly', %(since)s, 'UTC', %(since)s"
            " FROM generate_series(1, %(n)s) g RETURNING id),"
            " p AS (INSERT INTO participants (rotation_id, user_id, position)"
            " SELECT r.id, u.id, u.pos FROM r CROSS JOIN (VALUES (%(ann)s::uuid, 0),"
            " (%(bob)s::uuid, 1)) AS u(id, pos))"
            " SELECT array_agg(id) AS ids FROM r",
            {
                "prefix": prefix,
                "since": boundary - HOUR,
                "n": count,
                "ann": ann,
                "bob": bob,
            },
        ).fetchone()
        assert ids
        conn.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")
        conn.execute(
            "INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start)"
            " SELECT rotation_id, 0, id, %s FROM participants"
            " WHERE position = 0 AND rotation_id = ANY(%s)",
            (boundary - HOUR, ids["ids"]),
        )
        conn.execute(
            "UPDATE rotation_schedule SET job_id = NULL, dispatched_at = NULL, next_run_at = %s"
            " WHERE rotation_id = ANY(%s)",
            (boundary, ids["ids"]),
        )
    return boundary


def _recorded_once(conn: Conn, prefix: str) -> int:
    doubled = conn.execute(
        "SELECT rotation_id FROM handoffs WHERE cause = 'boundary'"
        " GROUP BY rotation_id, boundary_at HAVING count(*) > 1"
    ).fetchall()
    assert doubled == []
    return int(
        processes._scalar(
            conn,
            "SELECT count(*) FROM handoffs h JOIN rotations r ON r.id = h.rotation_id"
            " WHERE h.cause = 'boundary' AND r.name LIKE %s",
            prefix + "%",
        )
    )


def _server_now(conn: Conn) -> datetime:
    now: datetime = processes._scalar(conn, "SELECT now()")
    return now


def _beat_since(conn: Conn, since: datetime) -> int:
    """Queue workers (two per process) that sent a heartbeat after `since`."""
    return int(
        processes._scalar(
            conn, "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > %s", since
        )
    )


def _worker_ids(conn: Conn) -> list[int]:
    return [int(r["id"]) for r in conn.execute("SELECT id FROM procrastinate_workers")]


def _held(conn: Conn, worker_ids: list[int]) -> list[UUID]:
    """The rotations of the jobs these workers are running, not handed off yet."""
    rows = conn.execute(
        "SELECT DISTINCT r::uuid AS id FROM procrastinate_jobs j,"
        " jsonb_array_elements_text(j.args -> 'rotation_ids') r"
        " WHERE j.status = 'doing' AND j.worker_id = ANY(%s) AND NOT EXISTS ("
        "SELECT 1 FROM handoffs h WHERE h.rotation_id = r::uuid AND h.cause = 'boundary')",
        (worker_ids,),
    ).fetchall()
    return [r["id"] for r in rows]


def _takeover_lags(conn: Conn, rotation_ids: list[UUID], cut_at: datetime) -> list[float]:
    """Seconds from the cut to the handoff of each of these rotations recorded after it (the
    others the cut worker had committed before its link went down)."""
    rows = conn.execute(
        "SELECT extract(epoch FROM processed_at - %(cut)s)::float AS lag FROM handoffs"
        " WHERE cause = 'boundary' AND rotation_id = ANY(%(ids)s) AND processed_at > %(cut)s",
        {"cut": cut_at, "ids": rotation_ids},
    ).fetchall()
    return sorted(r["lag"] for r in rows)


def test_storm_partition_and_restart_across_namespaced_hosts(
    hosts: netns.Network, private_server: EmbeddedPostgres, tmp_path: Path
) -> None:
    pgbouncer_required()
    direct = private_server.url()
    migrate.upgrade(direct)
    with psycopg.connect(direct, autocommit=True) as setup:  # as README asks of operators
        setup.execute(
            f'ALTER DATABASE "{conninfo_to_dict(direct)["dbname"]}"'
            f" SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_LIMIT}'"
        )
    with (
        pgbouncer.running(direct, listen_addr=hosts.gateway),
        psycopg.connect(direct, row_factory=dict_row, autocommit=True) as conn,
    ):
        database = conninfo_to_dict(direct)["dbname"]
        url = f"postgresql://postgres@{hosts.gateway}:{pgbouncer.PORT}/{database}"
        env = os.environ | {
            "HANDOFF_DATABASE_URL": url,
            "HANDOFF_DATABASE_POOLER": "transaction",
            "HANDOFF_LOG_FORMAT": "json",
        }
        workers = []
        try:
            # Host 1 first, so that its queue workers are known apart from host 2's.
            for host in (1, 2):
                log = (tmp_path / f"host{host}.log").open("wb")
                workers.append(
                    subprocess.Popen(
                        hosts.command(host, [HANDOFF, "worker", "--concurrency", "4"]),
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
                processes._wait_for_workers(conn, host)
                if host == 1:
                    host1 = _worker_ids(conn)

            # A storm, and host 1 cut off while it is running some of the storm's jobs.
            _storm(conn, "storm", STORM)
            cut = cut_holding(hosts, 1, lambda: _held(conn, host1), lambda: _server_now(conn))
            assert cut.took_jobs, "host 1 took none of the storm's jobs"
            held, cut_at, cut_clock = cut.held, cut.at, cut.clock
            processes._wait(
                lambda: _recorded_once(conn, "storm") == STORM,
                TAKEOVER_LIMIT.total_seconds(),
                "the storm, with host 1 cut off",
            )
            lags = _takeover_lags(conn, held, cut_at)
            print(
                f"\nstorm recorded {time.monotonic() - cut_clock:.2f} s after host 1's cut;"
                f" host 1 held {len(held)} rotations at the cut, {len(lags)} of them handed"
                f" off by host 2, {lags[0] if lags else 0:.2f} to"
                f" {lags[-1] if lags else 0:.2f} s after the cut"
            )
            assert held, f"each of {cut.attempts} cuts came during host 1's write: none stranded"
            assert lags, f"none of the {len(held)} rotations host 1 held was taken over"
            assert lags[-1] <= TAKEOVER_GOAL.total_seconds(), lags
            time.sleep(max(0.0, cut_clock + CUT.total_seconds() - time.monotonic()))
            healed = _server_now(conn)
            hosts.heal(1)
            # as the hosts fault waits: PgBouncer retries a failed server login only so often
            processes._wait(
                lambda: _beat_since(conn, healed) >= 4, CHECK_IN_WAIT, "host 1 to check in again"
            )
            assert [w.poll() for w in workers] == [None, None]

            # The database restarts under both hosts; another storm.
            private_server.stop()
            private_server.ensure_started()
            conn = psycopg.connect(direct, row_factory=dict_row, autocommit=True)
            restarted = _server_now(conn)
            processes._wait(
                lambda: _beat_since(conn, restarted) >= 4,
                CHECK_IN_WAIT,
                "both hosts after the restart",
            )
            _storm(conn, "after", STORM // 2)
            processes._wait(
                lambda: _recorded_once(conn, "after") == STORM // 2, 30, "the second storm"
            )
            assert _recorded_once(conn, "storm") == STORM
            assert [w.poll() for w in workers] == [None, None]
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            for host in (1, 2):
                tail = (tmp_path / f"host{host}.log").read_text(errors="replace").splitlines()
                print(f"--- host {host}:", *[line[:300] for line in tail[-15:]], sep="\n")
