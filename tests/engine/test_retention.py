"""Retention (engine.md): the sweep deletes finished queue rows past their age in small batches
while the engine runs, keeps what a rotation still needs, and deletes history only when
HANDOFF_HISTORY_RETENTION_DAYS is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import procrastinate
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.config import Settings
from handoff.engine import sweep as sweep_module
from handoff.engine.process import Processor
from handoff.engine.sweep import Retention, Sweep
from handoff.store.clock import ClockSeam
from handoff.worker import build_app

from .helpers import Conn, add, rotation, run_jobs, user


@pytest.fixture
async def app(pool: AsyncConnectionPool[Any]) -> AsyncIterator[procrastinate.App]:
    built = build_app(procrastinate.PsycopgConnector())
    async with built.open_async(pool):
        yield built


def _finished(conn: Conn, count: int, status: str, age: timedelta) -> None:
    """`count` finished jobs whose last event is `age` old (the queue's own clock)."""
    conn.execute(
        "WITH j AS (INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)"
        " SELECT 'rotations', 'update_rotations', '{}', %s::procrastinate_job_status"
        " FROM generate_series(1, %s) RETURNING id)"
        " INSERT INTO procrastinate_events (job_id, type, at)"
        " SELECT id, %s::procrastinate_job_event_type, now() - %s::interval FROM j",
        (status, count, status, age),
    )


def _count(conn: Conn, status: str) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE status = %s", (status,)
    ).fetchone()
    assert row
    n: int = row["n"]
    return n


def test_retention_comes_from_the_settings() -> None:
    settings = Settings(
        queue_retention_succeeded_minutes=5,
        queue_retention_failed_days=2,
        history_retention_days=30,
    )
    assert Retention.from_settings(settings) == Retention(
        timedelta(minutes=5), timedelta(days=2), timedelta(days=30)
    )
    assert Retention.from_settings(Settings()).history is None


async def test_finished_jobs_go_in_batches_while_the_engine_runs(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    app: procrastinate.App,
    processor: Processor,
    clock: ClockSeam,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sweep_module, "RETENTION_BATCH", 100)
    _finished(conn, 700, "succeeded", timedelta(hours=2))  # past the hour
    _finished(conn, 10, "succeeded", timedelta(minutes=10))  # kept
    _finished(conn, 50, "failed", timedelta(days=8))  # past the week
    _finished(conn, 5, "failed", timedelta(days=1))  # kept
    # A rotation whose failed job it still names (its cool-down needs it): kept however old.
    rid = rotation(conn, "failing", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"))
    conn.execute(
        "UPDATE procrastinate_jobs SET status = 'failed' WHERE queueing_lock = %s",
        (f"rotation:{rid}",),
    )
    conn.execute(
        "UPDATE procrastinate_events SET at = now() - interval '30 days' WHERE job_id ="
        " (SELECT job_id FROM rotation_schedule WHERE rotation_id = %s)",
        (rid,),
    )
    # ... and the engine working meanwhile: rotations due now, processed as the sweep deletes.
    due = [
        rotation(conn, f"due{i}", clock.now().replace(second=0, microsecond=0)) for i in range(20)
    ]
    for rid_due in due:
        add(conn, rid_due, user(conn, f"u{rid_due}"))
    sweep = Sweep(pool, app, Retention())
    (deleted, history), ran = await asyncio.gather(sweep.purge(), run_jobs(conn, processor))
    assert ran == 20 and history == 0
    assert deleted == 4 * 100  # RETENTION_ROUNDS batches of RETENTION_BATCH, then next pass
    while (more := await sweep.purge()) != (0, 0):
        assert more[0] <= 4 * 100
    assert _count(conn, "succeeded") == 10 + 20  # the young ones, and what the engine just did
    assert _count(conn, "failed") == 5 + 1
    owned = conn.execute(
        "SELECT j.status FROM rotation_schedule s JOIN procrastinate_jobs j ON j.id = s.job_id"
        " WHERE s.rotation_id = %s",
        (rid,),
    ).fetchone()
    assert owned == {"status": "failed"}


async def test_history_is_kept_unless_a_retention_is_set(
    conn: Conn, pool: AsyncConnectionPool[Any], app: procrastinate.App, clock: ClockSeam
) -> None:
    rid = rotation(conn, "ops", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"))
    conn.execute(
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " to_participant_id, to_user_id, to_user_name)"
        " SELECT %s, handoff_now() - n * interval '1 day', handoff_now() - n * interval '1 day',"
        " 'boundary', 'queue', gen_random_uuid(), gen_random_uuid(), 'Ann'"
        " FROM generate_series(1, 40) n",
        (rid,),
    )
    assert await Sweep(pool, app, Retention()).purge() == (0, 0)
    kept = Retention(history=timedelta(days=30))
    assert await Sweep(pool, app, kept).purge() == (0, 10)
    rows = conn.execute("SELECT min(processed_at) AS oldest FROM handoffs").fetchone()
    assert rows and rows["oldest"] >= clock.now() - timedelta(days=30)


async def test_audit_entries_go_after_their_days(
    conn: Conn, pool: AsyncConnectionPool[Any], app: procrastinate.App, clock: ClockSeam
) -> None:
    """HANDOFF_AUDIT_DAYS (default 400): older audit entries are deleted by the sweep, on the
    engine's clock, the rest stay."""
    assert Retention.from_settings(Settings()).audit == timedelta(days=400)
    assert Retention.from_settings(Settings(audit_days=30)).audit == timedelta(days=30)
    conn.execute(
        "INSERT INTO audit_log (at, actor_name, via, route, action, object_type, object_id)"
        " SELECT handoff_now() - n * interval '1 day' - interval '1 minute', 'ops', 'cli',"
        " 'handoff user create', 'user.create', 'user', n::text"
        " FROM generate_series(0, 449) n"
    )
    assert await Sweep(pool, app, Retention()).purge_audit() == 50
    assert await Sweep(pool, app, Retention(audit=timedelta(days=400))).purge_audit() == 0
    row = conn.execute("SELECT min(at) AS oldest, count(*) AS n FROM audit_log").fetchone()
    assert row and row["n"] == 400
    assert row["oldest"] >= clock.now() - timedelta(days=400)
