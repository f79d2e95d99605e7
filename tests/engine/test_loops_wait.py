"""Loops wait (engine.md, "Real-world conditions"): a background loop that found nothing it
could take sleeps at least its interval; it never spins. Each loop runs for a few seconds on a
one-connection pool whose protocol trace counts every statement it executes, idle and while
another process holds its cluster-wide lock with work due.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import procrastinate
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.engine.batch import BATCH_LOCK, BatchEngine
from handoff.engine.dispatcher import DISPATCHER_LOCK, MAX_SLEEP, Dispatcher
from handoff.engine.sweep import SWEEP_LOCK, WAKE_INTERVAL, Sweep
from handoff.notify.sweep import INTERVAL as NOTIFY_INTERVAL
from handoff.notify.sweep import NotifySweep
from handoff.store.clock import ClockSeam
from handoff.store.db import connect
from handoff.worker import build_app

from .helpers import Conn, add, rotation, traced, user

WINDOW = 3.0  # seconds each loop runs while its statements are counted
# Statements one pass of a loop may execute (a sweep pass is the largest: its lock, the
# repairs, the status, the stalled and the due-job looks). A loop that spun at its shortest
# pause (50 ms) would execute several times as many in the window as the bound allows.
PER_PASS = 10
BATCH_INTERVAL = timedelta(seconds=1)


class Loop(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


def _executions(trace: Path) -> int:
    """Statements executed in a libpq trace: simple queries, and binds (a prepared statement
    is bound without being parsed again)."""
    return sum(
        1
        for line in trace.read_text().splitlines()
        if len(fields := line.split("\t")) > 2
        and fields[0] == "F"
        and fields[2] in ("Query", "Bind")
    )


async def _statements_in_window(
    db_url: str, trace: Path, make: Callable[[AsyncConnectionPool[Any], procrastinate.App], Loop]
) -> int:
    async def run(pool: AsyncConnectionPool[Any]) -> None:
        app = build_app(procrastinate.PsycopgConnector())
        async with app.open_async(pool):
            stop = asyncio.Event()
            running = asyncio.create_task(make(pool, app).run(stop))
            await asyncio.sleep(WINDOW)  # the measuring window itself, not a wait for a result
            stop.set()
            await running

    await traced(db_url, trace, run)
    return _executions(trace)


def _bound(interval: timedelta) -> int:
    return PER_PASS * (math.floor(WINDOW / interval.total_seconds()) + 1)


LOOPS: dict[str, tuple[Callable[[AsyncConnectionPool[Any], Any], Loop], int | None, timedelta]] = {
    "dispatcher": (lambda pool, app: Dispatcher(pool), DISPATCHER_LOCK, MAX_SLEEP),
    "sweep": (lambda pool, app: Sweep(pool, app), SWEEP_LOCK, WAKE_INTERVAL),
    "batch": (
        lambda pool, app: BatchEngine(pool, interval=BATCH_INTERVAL, max_advances=150),
        BATCH_LOCK,
        BATCH_INTERVAL,
    ),
    "notify sweep": (lambda pool, app: NotifySweep(pool, app), None, NOTIFY_INTERVAL),
}


def _due_rotation(conn: Conn, clock: ClockSeam) -> None:
    """A rotation whose run time has come and that no job owns: work for every loop."""
    rid = rotation(conn, "due", clock.now().replace(second=0, microsecond=0) - timedelta(days=1))
    add(conn, rid, user(conn, "ann"), user(conn, "bob"))
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL, next_run_at = handoff_now()")


@pytest.mark.parametrize("name", list(LOOPS))
async def test_an_idle_loop_waits_its_interval(
    name: str, db_url: str, clock: ClockSeam, tmp_path: Path
) -> None:
    make, _, interval = LOOPS[name]
    count = await _statements_in_window(db_url, tmp_path / "idle.trace", make)
    assert 0 < count <= _bound(interval), f"{name}: {count} statements in {WINDOW} s"


@pytest.mark.parametrize("name", [n for n, (_, lock, _) in LOOPS.items() if lock is not None])
async def test_a_loop_waits_its_interval_while_another_process_holds_its_lock(
    name: str, db_url: str, conn: Conn, clock: ClockSeam, tmp_path: Path
) -> None:
    make, lock, interval = LOOPS[name]
    _due_rotation(conn, clock)
    with connect(db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
        count = await _statements_in_window(db_url, tmp_path / "held.trace", make)
    assert 0 < count <= _bound(interval), f"{name}: {count} statements in {WINDOW} s"
    # Nothing was taken behind the holder's back: the rotation still waits, unowned.
    owner = conn.execute("SELECT job_id FROM rotation_schedule").fetchone()
    assert owner == {"job_id": None}
