"""An idle queue worker polls rarely: the sweep wakes it when a waiting job comes due.

Procrastinate sends a NOTIFY when a job is inserted, not when a retry's backoff ends or a dead
worker's job is put back; the sweep does, on the queue's own time base (the server's real
time), so these tests place jobs relative to the server's `now()`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import procrastinate
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.api.routes.ops import ENGINE_CHECK_IN
from handoff.engine.runner import HEARTBEAT_INTERVAL
from handoff.engine.sweep import (
    STALLED_WORKER_TIMEOUT,
    SWEEP_INTERVAL,
    WAKE_INTERVAL,
    WAKE_MARGIN,
    Sweep,
)
from handoff.store import status
from handoff.store.clock import ClockSeam
from handoff.worker import WORKERS_PER_PROCESS, build_app

from .conftest import Spawn
from .helpers import Conn

CHANNEL = "procrastinate_queue_v1#rotations"
SOON = timedelta(milliseconds=300)  # until the job placed in the future comes due


@pytest.fixture
async def app(pool: AsyncConnectionPool[Any]) -> AsyncIterator[procrastinate.App]:
    built = build_app(procrastinate.PsycopgConnector())
    async with built.open_async(pool):
        yield built


@pytest.fixture
async def listener(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A connection listening where the rotations queue's workers do."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(f'LISTEN "{CHANNEL}"')
        yield conn


def _retried_job(conn: Conn, due_in: timedelta) -> None:
    """A job put back to wait on the rotations queue, due `due_in` from the server's now, as
    Procrastinate's retry does it: an update, which sends no NOTIFY."""
    conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)"
        " VALUES ('rotations', 'update_rotations', '{\"rotation_ids\": []}', 'doing')"
    )
    conn.execute(
        "UPDATE procrastinate_jobs SET status = 'todo', attempts = attempts + 1,"
        " scheduled_at = now() + %s",
        (due_in,),
    )


async def _notified(
    listener: psycopg.AsyncConnection[Any], seconds: float, stop_after: int | None = None
) -> list[str]:
    """The channels notified within `seconds` (or until `stop_after` notifications came)."""
    return [n.channel async for n in listener.notifies(timeout=seconds, stop_after=stop_after)]


async def test_a_retry_come_due_wakes_the_workers(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    clock: ClockSeam,
    app: procrastinate.App,
    listener: psycopg.AsyncConnection[Any],
) -> None:
    sweep = Sweep(pool, app)
    idle = await sweep.wake_due_jobs()  # nothing waits: no wake-up
    assert (idle.woken, idle.next_due_in) == (0, None)
    assert idle.look_again_in() == WAKE_INTERVAL.total_seconds()
    assert await _notified(listener, 0.2) == []
    _retried_job(conn, -timedelta(seconds=1))
    result = await sweep.sweep()
    assert result is not None and result.wake is not None
    assert (result.wake.woken, result.wake.next_due_in) == (1, None)
    assert await _notified(listener, 1.0, stop_after=1) == [CHANNEL]


async def test_a_retry_due_later_is_woken_at_its_instant_not_at_the_next_pass(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    clock: ClockSeam,
    app: procrastinate.App,
    listener: psycopg.AsyncConnection[Any],
) -> None:
    _retried_job(conn, SOON)
    sweep = Sweep(pool, app)
    wake = await sweep.wake_due_jobs()
    assert wake.woken == 0
    assert wake.next_due_in is not None and 0 < wake.next_due_in <= SOON.total_seconds()
    assert wake.look_again_in() <= SOON.total_seconds() + WAKE_MARGIN.total_seconds()
    assert await _notified(listener, 0.05) == []  # not due yet: nobody is woken

    stop = asyncio.Event()
    began = time.monotonic()
    running = asyncio.create_task(sweep.run(stop))
    try:
        assert await _notified(listener, SWEEP_INTERVAL.total_seconds() / 2, 1) == [CHANNEL]
        woken_after = time.monotonic() - began
    finally:
        stop.set()
        await running
    # At its instant, before the first periodic look (a second after the pass) would have.
    assert woken_after < WAKE_INTERVAL.total_seconds()


@pytest.mark.e2e
async def test_a_live_idle_worker_never_looks_dead_nor_unready(
    conn: Conn, pool: AsyncConnectionPool[Any], spawn: Spawn
) -> None:
    """A real idle worker, watched over two heartbeat intervals: its heartbeat advances, is
    never as old as the stalled-worker timeout (the sweep would retry its jobs) and the
    readiness check finds it checked in at every look. A dead worker's job is retried within
    5 s: test_processes.py kills one and measures it."""
    spawn()
    deadline = time.monotonic() + 30
    while not conn.execute("SELECT 1 FROM procrastinate_workers").fetchall():
        assert time.monotonic() < deadline, "the worker did not register"
        await asyncio.sleep(0.1)
    beats: set[datetime] = set()
    youngest = oldest = timedelta(0)  # the most recent beat's age at its worst, the oldest's
    watch_until = time.monotonic() + 2 * HEARTBEAT_INTERVAL.total_seconds() + 2
    while time.monotonic() < watch_until:
        rows = conn.execute(
            "SELECT last_heartbeat, now() - last_heartbeat AS age FROM procrastinate_workers"
        ).fetchall()
        assert len(rows) == WORKERS_PER_PROCESS, "a live worker was dropped as stalled"
        beats |= {r["last_heartbeat"] for r in rows}
        # The process beats for both its queue workers every HEARTBEAT_INTERVAL, so neither's
        # heartbeat is ever as old as the rotations' stalled timeout.
        ages = sorted(r["age"] for r in rows)
        youngest, oldest = max(youngest, ages[0]), max(oldest, ages[-1])
        async with pool.connection() as aconn:
            row = await (await aconn.execute("SELECT now()")).fetchone()
            assert row is not None
            assert await status.worker_checked_in(aconn, row[0] - ENGINE_CHECK_IN)
        await asyncio.sleep(0.5)
    assert len(beats) >= WORKERS_PER_PROCESS + 2, "the heartbeat did not advance"
    assert youngest < STALLED_WORKER_TIMEOUT, youngest
    assert oldest < STALLED_WORKER_TIMEOUT, oldest
