"""Plain-SQL setup and a direct job runner for the engine tests.

Changes are made with plain SQL, as any writer could, so the tests prove that the triggers and
the engine (not an API layer) keep the rules.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import Trace
from psycopg_pool import AsyncConnectionPool

from handoff.engine.process import Processor

Conn = psycopg.Connection[dict[str, Any]]


def user(conn: Conn, name: str) -> UUID:
    row = conn.execute("INSERT INTO users (name) VALUES (%s) RETURNING id", (name,)).fetchone()
    assert row
    return UUID(str(row["id"]))


def rotation(
    conn: Conn,
    name: str,
    start: datetime,
    *,
    type: str = "daily",
    shift_length: int = 1,
    time_zone: str = "UTC",
) -> UUID:
    row = conn.execute(
        "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (name, type, shift_length, start, time_zone),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def add(conn: Conn, rotation_id: UUID, *users: UUID) -> None:
    """Append participants, in one statement (one trigger, one job)."""
    row = conn.execute(
        "SELECT coalesce(max(position) + 1, 0) AS n FROM participants WHERE rotation_id = %s",
        (rotation_id,),
    ).fetchone()
    assert row
    first = int(row["n"])
    conn.execute(
        "INSERT INTO participants (rotation_id, user_id, position)"
        " SELECT %s, u, %s + o - 1 FROM unnest(%s::uuid[]) WITH ORDINALITY AS t(u, o)",
        (rotation_id, first, list(users)),
    )


def on_call(conn: Conn, rotation_id: UUID) -> tuple[int, str, datetime] | None:
    """(position, user name, shift_start) of the rotation's state, or None."""
    row = conn.execute(
        "SELECT s.position, u.name, s.shift_start FROM rotation_state s"
        " JOIN participants p ON p.id = s.participant_id JOIN users u ON u.id = p.user_id"
        " WHERE s.rotation_id = %s",
        (rotation_id,),
    ).fetchone()
    return (row["position"], row["name"], row["shift_start"]) if row else None


def history(conn: Conn, rotation_id: UUID) -> list[tuple[str, datetime, str | None, str]]:
    """(cause, boundary_at, from user, to user) of every handoff, oldest first."""
    rows = conn.execute(
        "SELECT cause, boundary_at, from_user_name, to_user_name FROM handoffs"
        " WHERE rotation_id = %s ORDER BY boundary_at, id",
        (rotation_id,),
    ).fetchall()
    return [(r["cause"], r["boundary_at"], r["from_user_name"], r["to_user_name"]) for r in rows]


def wait_for_passes(conn: Conn, keys: tuple[str, ...], timeout: float = 30.0) -> None:
    """Until every engine loop named by `keys` (engine_status: `batch`, `sweep`) has
    published a pass that began after this call: the condition a test means by "let the
    engines run again", instead of a fixed sleep."""
    row = conn.execute("SELECT now() AS mark").fetchone()
    assert row
    deadline = time.monotonic() + timeout
    while True:
        done = conn.execute(
            "SELECT count(*) AS n FROM engine_status WHERE key = ANY(%s) AND updated_at > %s",
            (list(keys), row["mark"]),
        ).fetchone()
        if done and done["n"] == len(keys):
            return
        assert time.monotonic() < deadline, f"no new pass of {keys} within {timeout} s"
        time.sleep(0.1)


def schedule(conn: Conn, rotation_id: UUID) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT next_run_at, job_id FROM rotation_schedule WHERE rotation_id = %s",
        (rotation_id,),
    ).fetchone()


async def run_jobs(conn: Conn, processor: Processor, *, failures: int = 0) -> int:
    """Run every waiting rotation job as a worker would (oldest first); returns how many ran.

    A job that succeeds is marked succeeded (the worker keeps finished jobs for the sweep's
    retention); one that raises is marked failed. A failure is an error of the test unless
    the test says how many it expects (`failures`): a processor that crashes must never pass
    for one that found nothing to do.
    """
    ran = 0
    failed: list[BaseException] = []
    while True:
        row = conn.execute(
            "UPDATE procrastinate_jobs SET status = 'doing' WHERE id = ("
            " SELECT id FROM procrastinate_jobs WHERE status = 'todo'"
            " AND queue_name = 'rotations' ORDER BY id LIMIT 1) RETURNING id, args"
        ).fetchone()
        if row is None:
            break
        ran += 1
        ids = [UUID(r) for r in row["args"]["rotation_ids"]]
        try:
            await processor.run_job(row["id"], ids)
        except Exception as exc:
            conn.execute(
                "UPDATE procrastinate_jobs SET status = 'failed' WHERE id = %s", (row["id"],)
            )
            failed.append(exc)
            if len(failed) > failures:
                raise
        else:
            conn.execute(
                "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", (row["id"],)
            )
    assert len(failed) == failures, f"expected {failures} failed jobs, got {failed!r}"
    return ran


def _sent(trace: Path, start: int) -> list[str]:
    """The statements a client sent after `start` in libpq's protocol trace (simple queries
    and parses, each line `F <length> Query|Parse <text>`; long texts are cut short)."""
    sent = []
    for line in trace.read_text()[start:].splitlines():
        fields = line.split("\t")
        if len(fields) > 3 and fields[0] == "F" and fields[2] in ("Query", "Parse"):
            sent.append(fields[3])
    return sent


async def traced(
    db_url: str, trace: Path, action: Callable[[AsyncConnectionPool[Any]], Awaitable[None]]
) -> list[str]:
    """The statements `action` sends through a one-connection pool, whatever they are: the
    client's own protocol trace, so a test can count what a loop costs the database."""
    with trace.open("w") as out:

        async def trace_it(conn: AsyncConnection[Any]) -> None:
            conn.pgconn.trace(out.fileno())
            conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)

        async with AsyncConnectionPool(
            db_url, min_size=1, max_size=1, open=False, configure=trace_it
        ) as pool:
            await pool.wait()
            start = out.seek(0, 2)
            await action(pool)
    return _sent(trace, start)
