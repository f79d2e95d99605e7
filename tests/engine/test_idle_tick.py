"""An idle dispatcher tick is one statement: what an idle queue engine costs, whatever the size."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.pq import Trace
from psycopg_pool import AsyncConnectionPool

from handoff.engine.dispatcher import Dispatcher
from handoff.store.clock import ClockSeam

from .helpers import Conn, add, rotation, user


def _statements(trace: Path, start: int) -> list[str]:
    """The statements the client sent after `start` (libpq's protocol trace: simple queries
    and parses, each line `F <length> Query|Parse <text>`)."""
    sent = []
    for line in trace.read_text()[start:].splitlines():
        fields = line.split("\t")
        if len(fields) > 3 and fields[0] == "F" and fields[2] in ("Query", "Parse"):
            sent.append(fields[3])
    return sent


async def _traced_tick(db_url: str, trace: Path) -> list[str]:
    """What one dispatcher tick sends, on a connection traced from its start."""
    with trace.open("w") as out:

        async def traced(conn: AsyncConnection[Any]) -> None:
            conn.pgconn.trace(out.fileno())
            conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)

        async with AsyncConnectionPool(
            db_url, min_size=1, max_size=1, open=False, configure=traced
        ) as pool:
            await pool.wait()
            start = out.seek(0, 2)
            await Dispatcher(pool).tick()
    return _statements(trace, start)


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
    idle = await _traced_tick(db_url, tmp_path / "idle.trace")
    assert len(idle) == 1 and "next_run_at" in idle[0], idle
    conn.execute("UPDATE rotation_schedule SET next_run_at = %s", (clock.now(),))
    due = await _traced_tick(db_url, tmp_path / "due.trace")
    assert len(due) > 1  # the lock, the dispatch (the trace cuts long statements short)
    row = conn.execute("SELECT job_id FROM rotation_schedule WHERE rotation_id = %s", (rid,))
    assert row.fetchone()["job_id"] is not None  # type: ignore[index]
