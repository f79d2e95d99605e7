"""The engine through PgBouncer in transaction pooling mode (deploy.md, "Poolers").

The engine's process tests run again with every worker connection (migrations included)
through the pooler: without `prepare_threshold=None` they fail with `prepared statement
"_pg3_0" does not exist` / `already exists`, and a session lock or a LISTEN through the pooler
would be lost between transactions.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from engine import test_processes as processes
from engine.conftest import Spawn
from engine.helpers import Conn
from handoff.engine.connector import LISTENER_NAME, POOLED_POLLING_INTERVAL
from handoff.store import migrate

pytestmark = pytest.mark.e2e

# A job due at an instant starts within the polling interval, plus a fetch and the handoff's
# transaction on a shared 2-core machine.
POLLING_LAG_LIMIT = POOLED_POLLING_INTERVAL + timedelta(seconds=1)


def test_three_workers_and_a_batch_engine_through_pgbouncer(
    conn: Conn, pooled_spawn: Spawn
) -> None:
    processes.test_three_workers_and_a_batch_engine_record_each_boundary_once(conn, pooled_spawn)


def test_a_worker_killed_mid_job_through_pgbouncer_is_taken_over_within_5_seconds(
    db_url: str, conn: Conn, pooled_spawn: Spawn
) -> None:
    processes.test_a_worker_killed_mid_job_is_taken_over_within_5_seconds(
        db_url, conn, pooled_spawn
    )


def test_storm_through_pgbouncer_polling(conn: Conn, pooled_spawn: Spawn) -> None:
    processes.test_storm_of_1000_rotations_at_a_future_boundary_with_two_workers(conn, pooled_spawn)


def _handoff_lag_of_a_rotation_due_soon(conn: Conn) -> float:
    """One rotation whose boundary is the next whole minute (at least STORM_SETUP away, so
    the dispatcher queues it ahead, for that instant); its handoff's lag in seconds."""
    boundary = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    if boundary - datetime.now(UTC) < processes.STORM_SETUP:
        boundary += timedelta(minutes=1)
    processes._due_rotations(conn, 1, boundary)
    time.sleep(max(0.0, (boundary - datetime.now(UTC)).total_seconds()))
    processes._wait(lambda: processes._boundaries_recorded(conn, boundary) == 1, 30, "the handoff")
    lag = processes._scalar(
        conn, "SELECT extract(epoch FROM processed_at - boundary_at) FROM handoffs"
    )
    return float(lag)


def test_polling_without_listen_costs_at_most_the_polling_interval(
    conn: Conn, pooled_spawn: Spawn
) -> None:
    pooled_spawn()
    processes._wait_for_workers(conn, 1)
    listening = processes._scalar(
        conn, "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%%'"
    )
    assert listening == 0  # nothing LISTENs through the pooler
    lag = _handoff_lag_of_a_rotation_due_soon(conn)
    print(f"\npolling through the pooler: lag {lag:.3f} s")
    assert 0 <= lag <= POLLING_LAG_LIMIT.total_seconds()


def test_listen_on_a_direct_url_beside_the_pooler(
    db_url: str, conn: Conn, pooled_spawn: Spawn
) -> None:
    pooled_spawn(HANDOFF_LISTEN_DATABASE_URL=db_url)
    processes._wait_for_workers(conn, 1)
    processes._wait(
        lambda: (
            processes._scalar(
                conn,
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND query ILIKE 'LISTEN%%'",
                LISTENER_NAME,
            )
            >= 1
        ),
        10,
        "the direct LISTEN connection",
    )
    lag = _handoff_lag_of_a_rotation_due_soon(conn)
    print(f"\nlistening on the direct URL: lag {lag:.3f} s")
    assert 0 <= lag < POOLED_POLLING_INTERVAL.total_seconds()


def test_migrations_through_pgbouncer_twice_at_once(pooled_url: str) -> None:
    """A second migration through the pooler finds the schema current and changes nothing."""
    migrate.upgrade(pooled_url, pooled=True)
    assert migrate.current_revision(pooled_url, pooled=True) == migrate.head_revision()


def test_a_prepared_statement_does_not_survive_the_pooler(pooled_url: str) -> None:
    """Why pooler mode exists: with psycopg's default a query prepared on its fifth run is
    looked for on whichever server connection the pooler lends next."""
    failures = 0
    with (
        psycopg.connect(pooled_url, autocommit=True) as first,
        psycopg.connect(pooled_url, autocommit=True) as second,
    ):
        for _ in range(10):
            for conn in (first, second):
                try:
                    conn.execute("SELECT %s::int", (1,)).fetchone()
                except psycopg.errors.DuplicatePreparedStatement:
                    failures += 1
                except psycopg.errors.InvalidSqlStatementName:
                    failures += 1
    with psycopg.connect(pooled_url, autocommit=True, prepare_threshold=None) as third:
        for _ in range(10):
            assert third.execute("SELECT %s::int", (1,)).fetchone() == (1,)
    assert failures > 0
