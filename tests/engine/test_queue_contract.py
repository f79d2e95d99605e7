"""What our SQL relies on in the pinned Procrastinate release, checked against the installed one.

handoff inserts jobs into Procrastinate's table by SQL (the enqueue function, the dispatcher)
and imitates its NOTIFY to wake the workers at an instant. A release that changed the table,
the statuses, the dedup index or the NOTIFY would break the engine silently; these tests make
it fail CI instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import procrastinate
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.engine.app import QUEUE, TASK_NAME
from handoff.engine.dispatcher import Dispatcher
from handoff.store.clock import ClockSeam
from handoff.worker import build_app

from .helpers import Conn, add, rotation, user

CHANNEL = f"procrastinate_queue_v1#{QUEUE}"


@pytest.fixture
async def app(pool: AsyncConnectionPool[Any]) -> AsyncIterator[procrastinate.App]:
    built = build_app(procrastinate.PsycopgConnector())
    async with built.open_async(pool):
        yield built


def test_the_statuses_and_events_we_name_exist(conn: Conn) -> None:
    def labels(enum: str) -> set[str]:
        rows = conn.execute(
            "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
            " WHERE t.typname = %s",
            (enum,),
        ).fetchall()
        return {r["enumlabel"] for r in rows}

    finished = {"succeeded", "failed", "cancelled", "aborted"}
    assert labels("procrastinate_job_status") >= {"todo", "doing"} | finished
    assert labels("procrastinate_job_event_type") >= finished
    index = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
        ("procrastinate_jobs_queueing_lock_idx_v1",),
    ).fetchone()
    assert index and "(queueing_lock)" in index["indexdef"]
    assert "WHERE (status = 'todo'" in index["indexdef"]


async def test_our_wake_up_is_the_notify_procrastinate_sends(
    db_url: str, pool: AsyncConnectionPool[Any], app: procrastinate.App
) -> None:
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f'LISTEN "{CHANNEL}"')
        deferred = await app.configure_task(name=TASK_NAME, queue=QUEUE).defer_async(
            rotation_ids=[]
        )
        (theirs,) = [n for n in listener.notifies(timeout=0.5)]
        await Dispatcher(pool).wake_workers()
        (ours,) = [n for n in listener.notifies(timeout=0.5)]
    assert theirs.channel == ours.channel == CHANNEL
    sent, imitated = json.loads(theirs.payload), json.loads(ours.payload)
    assert sent == {"type": "job_inserted", "job_id": deferred}
    assert set(imitated) == set(sent) and imitated["type"] == sent["type"]


async def test_jobs_our_sql_inserts_are_fetched_by_procrastinate(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    rid = rotation(conn, "ops", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"))  # the trigger's enqueue function inserts the job
    worker = await app.job_manager.register_worker()
    job = await app.job_manager.fetch_job(queues=[QUEUE], worker_id=worker)
    assert job is not None and job.task_name == TASK_NAME and job.queue == QUEUE
    assert job.task_kwargs == {"rotation_ids": [str(rid)]}
    assert job.queueing_lock == f"rotation:{rid}"
    assert TASK_NAME in app.tasks
    # A dispatcher's job for an instant 200 ms ahead is not fetched before it (the queue's
    # own time base), and is once that time has come.
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute(
        "UPDATE rotation_schedule SET job_id = NULL, next_run_at = %s",
        (clock.now() + timedelta(milliseconds=200),),
    )
    assert (await Dispatcher(pool).tick()).dispatched == 1
    assert await app.job_manager.fetch_job(queues=[QUEUE], worker_id=worker) is None
    # Then fetched once the queue's real time (which no seam moves) has come: polled, with a
    # deadline, rather than a sleep that a loaded machine could outlast.
    deadline = time.monotonic() + 10
    while (later := await app.job_manager.fetch_job(queues=[QUEUE], worker_id=worker)) is None:
        assert time.monotonic() < deadline, "the job was never fetched"
        await asyncio.sleep(0.02)
    assert later is not None and later.task_kwargs == {"rotation_ids": [str(rid)]}
