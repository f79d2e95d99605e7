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
from typing import IO, Any, Protocol

import procrastinate
import pytest
from psycopg import AsyncConnection
from psycopg.pq import Trace
from psycopg_pool import AsyncConnectionPool

from handoff.engine.batch import BATCH_LOCK, BatchEngine
from handoff.engine.dispatcher import DISPATCHER_LOCK, MAX_SLEEP, Dispatcher
from handoff.engine.loops import JITTER, jittered
from handoff.engine.sweep import SWEEP_LOCK, WAKE_INTERVAL, Sweep
from handoff.notify.sweep import INTERVAL as NOTIFY_INTERVAL
from handoff.notify.sweep import NotifySweep
from handoff.store.clock import ClockSeam
from handoff.store.db import connect
from handoff.worker import build_app

from .helpers import Conn, add, rotation, user

WINDOW = 3.0  # seconds each loop runs while its statements are counted
# Statements one pass of each loop may execute, idle and while another process holds its lock:
# about twice what a pass was seen to execute (3 s idle on 2026-12-07: dispatcher 3, sweep 31,
# batch 30, notification sweep 9; held: dispatcher 12, sweep 3, batch 9), so that a loop
# pausing a fifth of its interval executes more than the bound allows.
PER_PASS = {
    "dispatcher": (2, 6),
    "sweep": (12, 2),
    "batch": (10, 4),
    "notify sweep": (4, None),
}
BATCH_INTERVAL = timedelta(seconds=1)
POOL = 2  # connections the loops under test may hold at once


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
    db_url: str, traces: Path, make: Callable[[AsyncConnectionPool[Any], procrastinate.App], Loop]
) -> int:
    """Statements the loop executes in WINDOW seconds, over a pool of POOL connections each
    traced to a file of its own (a sweep pass needs two at once: on one it would only wait for
    the pool, and fail)."""
    files: list[IO[str]] = []

    async def trace_it(conn: AsyncConnection[Any]) -> None:
        out = traces.with_name(f"{traces.name}-{len(files)}.trace").open("w")
        files.append(out)
        conn.pgconn.trace(out.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)

    try:
        async with AsyncConnectionPool(
            db_url, min_size=POOL, max_size=POOL, open=False, configure=trace_it
        ) as pool:
            await pool.wait()
            before = sum(_executions(Path(f.name)) for f in files)
            app = build_app(procrastinate.PsycopgConnector())
            async with app.open_async(pool):
                stop = asyncio.Event()
                running = asyncio.create_task(make(pool, app).run(stop))
                await asyncio.sleep(WINDOW)  # the measuring window itself, not a wait for a result
                stop.set()
                await running
    finally:
        for f in files:
            f.close()
    return sum(_executions(Path(f.name)) for f in files) - before


def _bound(per_pass: int | None, interval: timedelta) -> int:
    """The statements of every pass that fits in the window, the first one included."""
    assert per_pass is not None
    return per_pass * (math.floor(WINDOW / interval.total_seconds()) + 1)


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
    bound = _bound(PER_PASS[name][0], interval)
    count = await _statements_in_window(db_url, tmp_path / "idle", make)
    assert 0 < count <= bound, f"{name}: {count} statements in {WINDOW} s (at most {bound})"


@pytest.mark.parametrize("name", [n for n, (_, lock, _) in LOOPS.items() if lock is not None])
async def test_a_loop_waits_its_interval_while_another_process_holds_its_lock(
    name: str, db_url: str, conn: Conn, clock: ClockSeam, tmp_path: Path
) -> None:
    make, lock, interval = LOOPS[name]
    bound = _bound(PER_PASS[name][1], interval)
    _due_rotation(conn, clock)
    with connect(db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
        count = await _statements_in_window(db_url, tmp_path / "held", make)
    assert 0 < count <= bound, f"{name}: {count} statements in {WINDOW} s (at most {bound})"
    # Nothing was taken behind the holder's back: the rotation still waits, unowned.
    owner = conn.execute("SELECT job_id FROM rotation_schedule").fetchone()
    assert owner == {"job_id": None}


def test_every_pause_is_its_interval_plus_a_jitter_of_up_to_a_tenth() -> None:
    """The loops above pause through `jittered`: never shorter than the interval, at most
    JITTER longer, and different from pause to pause, so processes started together drift
    apart instead of polling in step."""
    pauses = [jittered(2.0) for _ in range(200)]
    assert all(2.0 <= p <= 2.0 * (1 + JITTER) for p in pauses)
    assert max(pauses) - min(pauses) > JITTER  # spread over more than half the range
