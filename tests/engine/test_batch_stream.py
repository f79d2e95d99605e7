"""The batch engine reads its rotations through server-side cursors, one fetch at a time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff.engine.batch import BatchEngine
from handoff.grid import Grid
from handoff.store import state
from handoff.store.clock import ClockSeam

from .helpers import Conn, add, history, on_call, rotation, schedule, user

HOUR = timedelta(hours=1)
ROTATIONS = 7  # more than two fetches
FETCH = 3


async def test_rotations_beyond_one_fetch_are_caught_up_while_a_cursor_is_open(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    clock: ClockSeam,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = clock.now().replace(second=0, microsecond=0) - 2 * HOUR
    ann, bob = user(conn, "ann"), user(conn, "bob")
    ids = [rotation(conn, f"r{i}", start, type="hourly") for i in range(ROTATIONS)]
    for rid in ids:
        add(conn, rid, ann, bob)
    conn.execute("DELETE FROM procrastinate_jobs")  # no queue engine in this deployment
    conn.execute("UPDATE rotation_schedule SET job_id = NULL")

    # Each write records which cursors its transaction holds open, and how many rotations
    # another session could still lock: a cycle that fetched (so locked) every rotation before
    # writing any would leave none.
    cursors: list[list[str]] = []
    unlocked: list[int] = []
    commit = state.commit

    async def recording(db: AsyncConnection[Any], *args: Any, **kwargs: Any) -> Any:
        # (The unnamed portal is the protocol's own, for a prepared statement.)
        cur = await db.execute("SELECT name FROM pg_cursors WHERE name <> '' ORDER BY name")
        cursors.append([row[0] for row in await cur.fetchall()])
        free = conn.execute("SELECT id FROM rotations FOR NO KEY UPDATE SKIP LOCKED").fetchall()
        unlocked.append(len(free))
        return await commit(db, *args, **kwargs)

    # Rotations are fetched in id order, FETCH at a time, each fetch written before the next.
    not_yet_fetched = [max(0, ROTATIONS - FETCH * (i // FETCH + 1)) for i in range(ROTATIONS)]
    monkeypatch.setattr(state, "commit", recording)
    engine = BatchEngine(pool, interval=timedelta(seconds=5), max_advances=150, fetch_size=FETCH)

    started = await engine.cycle()  # nobody has state yet: the unstarted rotations' cursor
    assert (started.rotations, started.applied) == (ROTATIONS, ROTATIONS)
    assert cursors == [["batch_unstarted"]] * ROTATIONS
    assert unlocked == not_yet_fetched
    assert all(on_call(conn, rid)[:2] == (0, "ann") for rid in ids)  # type: ignore[index]

    cursors.clear()
    unlocked.clear()
    boundary = Grid("hourly", 1, start, "UTC").end_time(clock.now())
    clock.set(boundary + timedelta(seconds=1))
    handed = await engine.cycle()  # every rotation has state now: the rotations' cursor
    assert (handed.rotations, handed.applied, handed.handoffs) == (ROTATIONS,) * 3
    assert cursors == [["batch_rotations"]] * ROTATIONS
    assert unlocked == not_yet_fetched
    for rid in ids:
        assert history(conn, rid)[-1] == ("boundary", boundary, "ann", "bob")
        assert schedule(conn, rid)["next_run_at"] == boundary + HOUR  # type: ignore[index]


async def test_the_advance_limit_spans_fetches(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    start = clock.now().replace(second=0, microsecond=0) - 2 * HOUR
    ann = user(conn, "ann")
    ids = [rotation(conn, f"r{i}", start, type="hourly") for i in range(ROTATIONS)]
    for rid in ids:
        add(conn, rid, ann)
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL")
    engine = BatchEngine(pool, interval=timedelta(seconds=5), max_advances=5, fetch_size=FETCH)
    cycles = [await engine.cycle() for _ in range(2)]
    # Every rotation is read (and locked) each cycle; at most five are applied, across fetches.
    assert [(c.rotations, c.applied) for c in cycles] == [(ROTATIONS, 5), (ROTATIONS, 2)]
    assert all(on_call(conn, rid) is not None for rid in ids)
