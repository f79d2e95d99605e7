"""The engine's batched path: one read for a job's rotations, a guarded write for each in its
own transaction, all in one call; anything changed since the read takes the locked path."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from handoff.engine.process import Processor
from handoff.grid import Grid
from handoff.store import batched, db
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .helpers import Conn, add, history, on_call, rotation, run_jobs, schedule, user

HOUR = timedelta(hours=1)


def _taken(path: str) -> float:
    return REGISTRY.get_sample_value("handoff_job_rotation_writes_total", {"path": path}) or 0.0


async def _started(
    conn: Conn, processor: Processor, clock: ClockSeam, count: int
) -> tuple[list[UUID], Any]:
    """`count` started hourly rotations (ann, then bob), and the clock at their next boundary."""
    start = clock.now().replace(minute=0, second=0, microsecond=0) - 2 * HOUR
    ann, bob = user(conn, "ann"), user(conn, "bob")
    ids = [rotation(conn, f"r{i}", start, type="hourly") for i in range(count)]
    for rid in ids:
        add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    boundary = Grid("hourly", 1, start, "UTC").end_time(clock.now())
    clock.set(boundary)
    return ids, boundary


async def _plans(pool: AsyncConnectionPool[Any], ids: list[UUID]) -> list[batched.Plan]:
    async with pool.connection() as aconn, db.autocommit(aconn):
        snapshots = await batched.read(aconn, ids)
    plans = [batched.plan(s) for s in snapshots]
    assert all(p is not None for p in plans)
    return [p for p in plans if p is not None]


async def _write(pool: AsyncConnectionPool[Any], plans: list[batched.Plan]) -> set[UUID]:
    async with pool.connection() as aconn, db.autocommit(aconn):
        return set(await batched.write(aconn, plans, job_id=None))


async def test_a_storm_job_is_written_by_the_batched_path_once_per_rotation(
    conn: Conn, clock: ClockSeam, processor: Processor
) -> None:
    ids, boundary = await _started(conn, processor, clock, 12)
    before = _taken("batched"), _taken("locked")
    await processor.run_job(None, ids)
    assert (_taken("batched") - before[0], _taken("locked") - before[1]) == (12, 0)
    for rid in ids:
        assert on_call(conn, rid)[:2] == (1, "bob")  # type: ignore[index]
        assert history(conn, rid)[-1] == ("boundary", boundary, "ann", "bob")
        assert schedule(conn, rid) == {"next_run_at": boundary + HOUR, "job_id": None}
    await processor.run_job(None, ids)  # nothing new: written again, recording nothing
    rows = conn.execute("SELECT count(*) AS n FROM handoffs WHERE boundary_at = %s", (boundary,))
    assert rows.fetchone() == {"n": 12}


async def test_a_rotation_changed_after_the_read_is_left_to_the_locked_path(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, processor: Processor
) -> None:
    (changed, kept), boundary = await _started(conn, processor, clock, 2)
    plans = await _plans(pool, [changed, kept])
    add(conn, changed, user(conn, "cy"))  # plain SQL: its trigger enqueues the rotation
    assert await _write(pool, plans) == {kept}
    assert on_call(conn, changed)[:2] == (0, "ann")  # type: ignore[index]  # nothing stale
    assert history(conn, kept)[-1] == ("boundary", boundary, "ann", "bob")
    await processor.run_job(None, [changed, kept])
    assert on_call(conn, changed)[:2] == (1, "bob")  # type: ignore[index]
    assert [h for h in history(conn, changed) if h[1] == boundary] == [
        ("boundary", boundary, "ann", "bob")
    ]


@pytest.mark.parametrize("other_commits", [True, False])
async def test_a_write_that_waited_for_a_writer_checks_what_that_writer_left(
    conn: Conn,
    db_url: str,
    pool: AsyncConnectionPool[Any],
    clock: ClockSeam,
    processor: Processor,
    other_commits: bool,
) -> None:
    """A writer holding the rotation's rows when the guarded write reaches them: the write
    waits, then applies only if the writer changed nothing (it rolled back)."""
    (held, free), _ = await _started(conn, processor, clock, 2)
    plans = await _plans(pool, [held, free])
    with connect(db_url) as other:
        other.execute("SELECT 1 FROM rotation_state WHERE rotation_id = %s FOR UPDATE", (held,))
        other.execute(
            "UPDATE rotation_schedule SET caught_up_at = caught_up_at WHERE rotation_id = %s",
            (held,),
        )
        writing = asyncio.create_task(_write(pool, plans))
        for _ in range(200):
            waiting = conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if waiting and waiting["n"]:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the guarded write never waited for the held rows")
        assert not writing.done()
        if other_commits:
            other.commit()
        else:
            other.rollback()
    written = await writing
    assert written == ({free} if other_commits else {held, free})


async def test_a_rotation_that_needs_more_than_a_state_write_takes_the_locked_path(
    conn: Conn, clock: ClockSeam, processor: Processor
) -> None:
    (changing, plain), boundary = await _started(conn, processor, clock, 2)
    conn.execute(
        "INSERT INTO scheduled_changes (rotation_id, effective_at, shift_length)"
        " VALUES (%s, %s, 2)",
        (changing, boundary),
    )
    before = _taken("batched"), _taken("locked")
    await processor.run_job(None, [changing, plain])
    assert (_taken("batched") - before[0], _taken("locked") - before[1]) == (1, 1)
    row = conn.execute("SELECT shift_length FROM rotations WHERE id = %s", (changing,))
    assert row.fetchone() == {"shift_length": 2}
    assert history(conn, plain)[-1] == ("boundary", boundary, "ann", "bob")


async def test_a_failing_write_sends_its_batch_through_the_locked_path(
    conn: Conn, clock: ClockSeam, processor: Processor
) -> None:
    """A write failing inside the call: the batch is done again on the locked path,
    where the failing rotation fails alone and every other one is recorded once."""
    ids, boundary = await _started(conn, processor, clock, 5)
    poisoned = ids[2]
    conn.execute(
        "CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF NEW.rotation_id = '{poisoned}' THEN RAISE 'poisoned'; END IF;"
        " RETURN NEW; END $$"
    )
    conn.execute(
        "CREATE TRIGGER test_poison BEFORE INSERT ON handoffs"
        " FOR EACH ROW EXECUTE FUNCTION test_poison()"
    )
    try:
        before = _taken("locked")
        await processor.run_job(None, ids)
        assert _taken("locked") - before == 5
    finally:
        conn.execute("DROP TRIGGER test_poison ON handoffs")
        conn.execute("DROP FUNCTION test_poison()")
    for rid in ids:
        recorded = [h for h in history(conn, rid) if h[1] == boundary]
        assert recorded == ([] if rid == poisoned else [("boundary", boundary, "ann", "bob")])
    failed = conn.execute(
        "SELECT rotation_id FROM rotation_schedule WHERE last_error IS NOT NULL"
    ).fetchall()
    assert failed == [{"rotation_id": poisoned}]
