"""One lock order (engine.md, "Real-world conditions"): rotation row, then state row, then
schedule row, then queue rows, for every writer, the dispatcher and the enqueue function
included. The two interleavings of a writer and the dispatcher, forced step by step with two
open transactions, end with no deadlock and a schedule row that names the job that waits."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.engine.dispatcher import Dispatcher
from handoff.store.clock import ClockSeam
from handoff.store.db import connect
from handoff.store.queries import Queries

from .helpers import Conn, add, rotation, schedule, user

Q = Queries("engine")


def _waiting(conn: Conn, pid: int) -> bool:
    row = conn.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
    ).fetchone()
    return bool(row) and row["wait_event_type"] == "Lock"


def _queue_locks(conn: Conn, pid: int) -> list[str]:
    rows = conn.execute(
        "SELECT mode FROM pg_locks WHERE pid = %s AND relation = 'procrastinate_jobs'::regclass",
        (pid,),
    ).fetchall()
    return [r["mode"] for r in rows]


def _todo(conn: Conn) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, scheduled_at FROM procrastinate_jobs WHERE status = 'todo' ORDER BY id"
    ).fetchall()


CHANGES = {
    "participant added": (
        "INSERT INTO participants (rotation_id, user_id, position)"
        " SELECT %(rid)s, id, 2 FROM users WHERE name = 'cy'"
    ),
    "participant removed": "DELETE FROM participants WHERE rotation_id = %(rid)s AND position = 1",
    "user deleted": "DELETE FROM users WHERE name = 'bob'",
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_while_the_dispatcher_holds_the_schedule_row(
    db_url: str, conn: Conn, clock: ClockSeam, pool: AsyncConnectionPool[Any], change: str
) -> None:
    """The dispatcher has taken the rotation's schedule row and inserted its job, not yet
    committed; a plain-SQL change (a participant added or removed, a user deleted) then
    enqueues the rotation. The change waits at the schedule row before touching any queue
    row, and then keeps the dispatcher's job."""
    rid = rotation(conn, "ops", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"), user(conn, "bob"))
    user(conn, "cy")
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL, next_run_at = handoff_now()")
    with connect(db_url) as dispatcher:
        rows = dispatcher.execute(Q["dispatch_due"], Dispatcher(pool).dispatch_params()).fetchall()
        (dispatched,) = [r["job_id"] for r in rows]
        writer = connect(db_url)
        pid = writer.info.backend_pid
        failure: list[BaseException] = []

        def write() -> None:
            try:
                writer.execute(CHANGES[change], {"rid": rid})
                writer.commit()
            except BaseException as exc:  # reported by the test below
                failure.append(exc)

        thread = threading.Thread(target=write)
        thread.start()
        deadline = time.monotonic() + 10
        while not _waiting(conn, pid):
            assert time.monotonic() < deadline, "the change did not wait for the schedule row"
            time.sleep(0.01)
        assert _waits_at(conn, pid) == ["rotation_schedule"]
        assert _queue_locks(conn, pid) == []  # waiting before any queue row
        dispatcher.commit()
    thread.join(timeout=10)
    writer.close()
    assert failure == []
    assert [j["id"] for j in _todo(conn)] == [dispatched]
    # The rotation stays due when it was (the change did not move it) and names the job
    # that waits.
    assert schedule(conn, rid) == {"next_run_at": clock.now(), "job_id": dispatched}


def test_the_dispatcher_while_a_change_holds_the_schedule_row(
    db_url: str, conn: Conn, clock: ClockSeam, pool: AsyncConnectionPool[Any]
) -> None:
    """A plain-SQL change has enqueued the rotation (its job and schedule row held, not yet
    committed); the dispatcher's tick skips the row without waiting, and afterwards the
    schedule names the change's job, the only one waiting."""
    rid = rotation(conn, "ops", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"))
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL, next_run_at = handoff_now()")
    bob = user(conn, "bob")
    with connect(db_url) as writer:
        writer.execute(
            "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 1)",
            (rid, bob),
        )
        with psycopg.connect(db_url, autocommit=True) as tick:
            tick.execute("SET lock_timeout = '2s'")  # a wait here would be the bug
            with tick.transaction():
                rows = tick.execute(
                    Q["dispatch_due"],
                    Dispatcher(None).dispatch_params(),  # type: ignore[arg-type]
                ).fetchall()
        assert rows == []
        writer.commit()
    (job,) = _todo(conn)
    owner = schedule(conn, rid)
    assert owner and owner["job_id"] == job["id"]


def _waits_at(conn: Conn, pid: int) -> list[str]:
    """The tables of the rows `pid` queues for (the tuple locks it holds while it waits)."""
    rows = conn.execute(
        "SELECT relation::regclass::text AS rel FROM pg_locks WHERE pid = %s"
        " AND locktype = 'tuple' ORDER BY 1",
        (pid,),
    ).fetchall()
    return [r["rel"] for r in rows]


def test_a_user_deletion_waits_at_the_rotation_row_a_worker_holds(
    db_url: str, conn: Conn, clock: ClockSeam
) -> None:
    """A worker holds a rotation as it does while processing it (the rotation row, then its
    state and schedule rows); deleting a user of that rotation and of another (plain SQL, the
    triggers' path) queues first at the rotation row, holding none of the rows the worker takes
    next (its schedule, the queue): the one lock order, so no deadlock whatever the worker
    does next."""
    start = clock.now().replace(second=0, microsecond=0)
    ann, gone = user(conn, "ann"), user(conn, "gone")
    first, second = sorted([rotation(conn, "a", start), rotation(conn, "b", start)])
    add(conn, first, ann, gone)
    add(conn, second, ann, gone)
    with connect(db_url) as worker:
        worker.execute("SELECT 1 FROM rotations WHERE id = %s FOR NO KEY UPDATE", (second,))
        worker.execute("SELECT 1 FROM rotation_state WHERE rotation_id = %s FOR UPDATE", (second,))
        worker.execute(
            "SELECT 1 FROM rotation_schedule WHERE rotation_id = %s FOR UPDATE", (second,)
        )
        deleter = connect(db_url)
        pid = deleter.info.backend_pid
        failure: list[BaseException] = []

        def delete() -> None:
            try:
                deleter.execute("DELETE FROM users WHERE id = %s", (gone,))
                deleter.commit()
            except BaseException as exc:  # reported by the test below
                failure.append(exc)

        thread = threading.Thread(target=delete)
        thread.start()
        deadline = time.monotonic() + 10
        while not _waiting(conn, pid):
            assert time.monotonic() < deadline, "the deletion did not wait for the worker"
            time.sleep(0.01)
        assert _waits_at(conn, pid) == ["rotations"]
        assert _queue_locks(conn, pid) == []
        # The worker's next steps: its schedule row, a queue row; then it commits.
        worker.execute(
            "UPDATE rotation_schedule SET next_run_at = next_run_at WHERE rotation_id = %s",
            (second,),
        )
        worker.execute("SELECT 1 FROM procrastinate_jobs FOR UPDATE")
        worker.commit()
    thread.join(timeout=10)
    deleter.close()
    assert failure == []
    assert conn.execute("SELECT count(*) AS n FROM participants").fetchone() == {"n": 2}
