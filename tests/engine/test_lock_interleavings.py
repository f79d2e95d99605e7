"""One lock order (engine.md, "Real-world conditions"), forced: a user deletion, a participant
removal and the sweep's re-enqueue, each against the dispatcher and against a worker holding
the rotation, in both orders. The first party takes its first locks and holds them; the second
then runs whole (it waits, or passes without waiting); the first takes the rest of its locks
and commits. The one lock order means neither ever waits for the other in a cycle: no
statement fails, the database counts no deadlock (pg_stat_database.deadlocks of the test's
own database), and the schedule row never says "no job" while a job for it waits.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from handoff.engine.dispatcher import Dispatcher
from handoff.store.clock import ClockSeam
from handoff.store.db import connect
from handoff.store.queries import Queries

from .exactly_once import exactly_once
from .helpers import Conn, add, rotation, user

Q = Queries("engine")
Step = tuple[str, dict[str, Any]]
WAIT_SECONDS = 10.0  # for the second party to queue for a lock or finish

# Writers: one transaction of one statement each, as the API, the triggers' path and the sweep
# issue them (the sweep's repair re-enqueues through the same function as the triggers).
WRITERS: dict[str, list[Step]] = {
    "user deleted": [("DELETE FROM users WHERE name = 'bob'", {})],
    "participant removed": [
        ("DELETE FROM participants WHERE rotation_id = %(rid)s AND position = 1", {})
    ],
    "sweep re-enqueue": [(Q["enqueue_rotations"], {"rotation_ids": "rid-list"})],
}
# Engine parties: the dispatcher's one statement; a worker's locks in the order it takes them
# while it processes a rotation (rotation row, state row, schedule row), then what it writes
# last (its schedule row, its job).
ENGINE: dict[str, list[Step]] = {
    "dispatcher": [(Q["dispatch_due"], Dispatcher(None).dispatch_params())],  # type: ignore[arg-type]
    "worker": [
        ("SELECT 1 FROM rotations WHERE id = %(rid)s FOR NO KEY UPDATE", {}),
        ("SELECT 1 FROM rotation_state WHERE rotation_id = %(rid)s FOR UPDATE", {}),
        ("SELECT 1 FROM rotation_schedule WHERE rotation_id = %(rid)s FOR UPDATE", {}),
        ("UPDATE rotation_schedule SET next_run_at = next_run_at WHERE rotation_id = %(rid)s", {}),
        ("SELECT 1 FROM procrastinate_jobs FOR UPDATE", {}),
    ],
}


def _run(conn: psycopg.Connection[Any], steps: list[Step], rid: UUID) -> None:
    for sql, params in steps:
        bound = {"rid": rid} | {k: [rid] if v == "rid-list" else v for k, v in params.items()}
        conn.execute(sql, bound)


def _waiting(conn: Conn, pid: int) -> bool:
    row = conn.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
    ).fetchone()
    return bool(row) and row["wait_event_type"] == "Lock"


def _find_cycles_quickly(conn: Any) -> None:
    """A lock cycle is found in 100 ms rather than the server's default second. Only a
    superuser may set it (deploy.md: the suite also runs as the database's owner), where the
    cycle is found after the second instead."""
    [row] = conn.execute("SELECT current_setting('is_superuser') AS su").fetchall()
    if row["su"] == "on":
        conn.execute("SET deadlock_timeout = '100ms'")


def _force(db_url: str, conn: Conn, rid: UUID, first: list[Step], second: list[Step]) -> None:
    """`first` takes its first step's locks; `second` runs whole in a thread until it queues
    or commits; `first` takes the rest and commits; then `second` must finish."""
    failures: list[BaseException] = []
    with connect(db_url) as holder:
        _find_cycles_quickly(holder)
        _run(holder, first[:1], rid)
        other = connect(db_url)
        _find_cycles_quickly(other)
        other.commit()
        pid = other.info.backend_pid

        def whole() -> None:
            try:
                _run(other, second, rid)
                other.commit()
            except BaseException as exc:  # reported below
                failures.append(exc)

        thread = threading.Thread(target=whole)
        thread.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while thread.is_alive() and not _waiting(conn, pid):
            assert time.monotonic() < deadline, "the second party neither waited nor finished"
            time.sleep(0.01)
        _run(holder, first[1:], rid)
        holder.commit()
    thread.join(timeout=WAIT_SECONDS)
    other.close()
    assert not thread.is_alive(), "the second party never finished"
    assert failures == []


@pytest.mark.parametrize("engine", list(ENGINE))
@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("order", ["engine first", "writer first"])
def test_each_interleaving_ends_without_deadlock(
    db_url: str, conn: Conn, clock: ClockSeam, tmp_path: Path, engine: str, writer: str, order: str
) -> None:
    rid = rotation(conn, "ops", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"), user(conn, "bob"), user(conn, "cy"))
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL, next_run_at = handoff_now()")
    parties = (ENGINE[engine], WRITERS[writer])
    first, second = parties if order == "engine first" else parties[::-1]
    with exactly_once(db_url, tmp_path):
        _force(db_url, conn, rid, first, second)
    waiting = [
        r["id"]
        for r in conn.execute(
            "SELECT id FROM procrastinate_jobs WHERE status = 'todo' ORDER BY id"
        ).fetchall()
    ]
    owner = conn.execute(
        "SELECT job_id FROM rotation_schedule WHERE rotation_id = %s", (rid,)
    ).fetchone()
    assert owner is not None
    if waiting:
        assert owner["job_id"] in waiting, (owner, waiting)
