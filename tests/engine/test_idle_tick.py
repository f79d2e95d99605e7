"""An idle dispatcher tick is one statement: what an idle queue engine costs, whatever the size."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool

from handoff.engine.dispatcher import Dispatcher
from handoff.store.clock import ClockSeam

from .helpers import Conn, add, rotation, traced, user


async def _tick(pool: AsyncConnectionPool[Any]) -> None:
    await Dispatcher(pool).tick()


async def test_an_idle_tick_is_one_statement_and_a_due_one_dispatches(
    conn: Conn, db_url: str, clock: ClockSeam, tmp_path: Path
) -> None:
    rid = rotation(conn, "later", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"), user(conn, "bob"))
    conn.execute("DELETE FROM procrastinate_jobs")  # its start's job: the engine's own concern
    conn.execute(
        "UPDATE rotation_schedule SET job_id = NULL, next_run_at = %s",
        (clock.now() + timedelta(hours=1),),
    )
    idle = await traced(db_url, tmp_path / "idle.trace", _tick)
    assert len(idle) == 1 and "next_run_at" in idle[0], idle
    conn.execute("UPDATE rotation_schedule SET next_run_at = %s", (clock.now(),))
    due = await traced(db_url, tmp_path / "due.trace", _tick)
    assert len(due) > 1  # the lock, the dispatch (the trace cuts long statements short)
    row = conn.execute("SELECT job_id FROM rotation_schedule WHERE rotation_id = %s", (rid,))
    assert row.fetchone()["job_id"] is not None  # type: ignore[index]
