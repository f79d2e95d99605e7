"""Every rule of engine.md through the database: plain-SQL changes, the job handler, history.

The clock is a ClockSeam, so crossing a boundary is a clock move, not a sleep.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
import structlog
from psycopg_pool import AsyncConnectionPool

from handoff.engine import process
from handoff.engine.process import Processor
from handoff.grid import Grid
from handoff.store import participants
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .helpers import Conn, add, history, on_call, rotation, run_jobs, schedule, user

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def _start(clock: ClockSeam) -> datetime:
    """A daily grid anchored three days ago, on a whole minute."""
    now = clock.now()
    return (now - 3 * DAY).replace(second=0, microsecond=0) + 7 * MINUTE


def _grid(start: datetime) -> Grid:
    return Grid("daily", 1, start, "UTC")


async def _started(
    conn: Conn, processor: Processor, clock: ClockSeam, names: list[str]
) -> tuple[Any, Grid]:
    start = _start(clock)
    rid = rotation(conn, "ops", start)
    add(conn, rid, *[user(conn, n) for n in names])
    assert await run_jobs(conn, processor) == 1
    return rid, _grid(start)


async def test_first_participant_goes_on_call_now(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, grid = await _started(conn, processor, clock, ["ann", "bob"])
    assert on_call(conn, rid) == (0, "ann", clock.now())
    assert history(conn, rid) == [("started", clock.now(), None, "ann")]
    planned = schedule(conn, rid)
    assert planned == {"next_run_at": grid.end_time(clock.now()), "job_id": None}


async def test_hands_off_at_the_boundary(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, grid = await _started(conn, processor, clock, ["ann", "bob"])
    boundary = grid.end_time(clock.now())
    clock.set(boundary)
    conn.execute("SELECT handoff_enqueue_rotations(ARRAY[%s]::uuid[])", (rid,))
    await run_jobs(conn, processor)
    assert on_call(conn, rid) == (1, "bob", boundary)
    assert history(conn, rid)[-1] == ("boundary", boundary, "ann", "bob")
    assert schedule(conn, rid) == {"next_run_at": boundary + DAY, "job_id": None}


async def test_catch_up_records_every_missed_boundary(
    conn: Conn, processor: Processor, clock: ClockSeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid, grid = await _started(conn, processor, clock, ["ann", "bob", "cid"])
    first = grid.end_time(clock.now())
    clock.set(first + 4 * DAY + MINUTE)  # five boundaries missed
    conn.execute("SELECT handoff_enqueue_rotations(ARRAY[%s]::uuid[])", (rid,))
    logged = structlog.testing.CapturingLogger()
    monkeypatch.setattr(process, "log", logged)
    await run_jobs(conn, processor)
    warnings = [c.kwargs for c in logged.calls if c.method_name == "warning"]
    # One warning for the catch-up; the last boundary is exactly a minute late, not *more*
    # than a minute, so four of the five count as late.
    assert warnings == [
        {
            "rotation_id": str(rid),
            "late_boundaries": 4,
            "boundary": first.isoformat(),
            "lag_seconds": 4 * 86400 + 60,
            "engine": "queue",
        }
    ]
    boundaries = [h for h in history(conn, rid) if h[0] == "boundary"]
    assert [h[1] for h in boundaries] == [first + i * DAY for i in range(5)]
    assert [h[3] for h in boundaries] == ["bob", "cid", "ann", "bob", "cid"]
    assert on_call(conn, rid) == (2, "cid", first + 4 * DAY)


async def test_removing_the_active_participant_hands_the_shift_on(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob", "cid"])
    shift_start = clock.now()
    clock.advance(MINUTE)
    conn.execute("DELETE FROM participants WHERE rotation_id = %s AND position = 0", (rid,))
    conn.execute("UPDATE participants SET position = position - 1 WHERE rotation_id = %s", (rid,))
    await run_jobs(conn, processor)
    assert on_call(conn, rid) == (0, "bob", shift_start)
    assert history(conn, rid)[-1] == ("participant_removed", clock.now(), None, "bob")


async def test_removing_the_last_active_position_wraps(
    conn: Conn, processor: Processor, clock: ClockSeam, pool: AsyncConnectionPool[Any]
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob", "cid"])
    await _set_active(pool, clock, rid, 2)
    conn.execute("DELETE FROM participants WHERE rotation_id = %s AND position = 2", (rid,))
    await run_jobs(conn, processor)
    assert on_call(conn, rid) is not None
    assert on_call(conn, rid)[:2] == (0, "ann")  # type: ignore[index]


async def test_removing_another_participant_moves_nobody(
    conn: Conn, processor: Processor, clock: ClockSeam, pool: AsyncConnectionPool[Any]
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob", "cid"])
    await _set_active(pool, clock, rid, 2)
    before = len(history(conn, rid))
    conn.execute("DELETE FROM participants WHERE rotation_id = %s AND position = 0", (rid,))
    conn.execute("UPDATE participants SET position = position - 1 WHERE rotation_id = %s", (rid,))
    await run_jobs(conn, processor)
    assert on_call(conn, rid)[:2] == (1, "cid")  # type: ignore[index]
    assert len(history(conn, rid)) == before


async def test_removing_the_last_participant_deletes_the_state(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann"])
    conn.execute("DELETE FROM participants WHERE rotation_id = %s", (rid,))
    await run_jobs(conn, processor)
    assert on_call(conn, rid) is None
    assert schedule(conn, rid) == {"next_run_at": None, "job_id": None}
    started, ended = history(conn, rid)  # history survives, and says nobody is on call
    assert (started[0], ended[0], ended[3]) == ("started", "participant_removed", None)


async def test_replacing_the_list_keeps_the_person_on_call(
    db_url: str, conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    """A plain-SQL replace that keeps ann's participant row: she stays on call, moved."""
    rid, _ = await _started(conn, processor, clock, ["ann", "bob"])
    dan = user(conn, "dan")
    with connect(db_url) as tx:  # one transaction, as an API replace would be
        tx.execute(
            "DELETE FROM participants p USING users u"
            " WHERE p.user_id = u.id AND u.name = 'bob' AND p.rotation_id = %s",
            (rid,),
        )
        tx.execute("UPDATE participants SET position = 1 WHERE rotation_id = %s", (rid,))
        tx.execute(
            "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 0)",
            (rid, dan),
        )
    await run_jobs(conn, processor)
    assert on_call(conn, rid)[:2] == (1, "ann")  # type: ignore[index]
    assert [h[0] for h in history(conn, rid)] == ["started"]


async def test_replacing_without_the_person_on_call_gives_the_old_index(
    db_url: str, conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob"])
    dan, eve = user(conn, "dan"), user(conn, "eve")
    with connect(db_url) as tx:
        tx.execute("DELETE FROM participants WHERE rotation_id = %s", (rid,))
        tx.execute(
            "INSERT INTO participants (rotation_id, user_id, position)"
            " VALUES (%s, %s, 0), (%s, %s, 1)",
            (rid, dan, rid, eve),
        )
    await run_jobs(conn, processor)
    assert on_call(conn, rid)[:2] == (0, "dan")  # type: ignore[index]


async def _set_active(
    pool: AsyncConnectionPool[Any], clock: ClockSeam, rid: Any, index: int
) -> None:
    """Set the active participant as the API does, through the write path."""
    async with pool.connection() as aconn:
        await participants.set_active(aconn, rid, index)


async def test_set_active_hands_the_rest_of_the_shift_over(
    conn: Conn, processor: Processor, clock: ClockSeam, pool: AsyncConnectionPool[Any]
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob", "cid"])
    shift_start = clock.now()
    clock.advance(MINUTE)
    await _set_active(pool, clock, rid, 2)
    conn.execute("SELECT handoff_enqueue_rotations(ARRAY[%s]::uuid[])", (rid,))
    await run_jobs(conn, processor)  # the engine keeps what the API set
    assert on_call(conn, rid) == (2, "cid", shift_start)
    assert history(conn, rid)[-1] == ("manual", clock.now(), "ann", "cid")


async def test_editing_the_grid_restarts_the_shift_at_the_edit(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob"])
    clock.advance(MINUTE)
    conn.execute(
        "UPDATE rotations SET type = 'weekly', grid_changed_at = %s WHERE id = %s",
        (clock.now(), rid),
    )
    row = conn.execute("SELECT * FROM rotations WHERE id = %s", (rid,)).fetchone()
    assert row
    await run_jobs(conn, processor)
    assert on_call(conn, rid) == (0, "ann", row["grid_changed_at"])
    weekly = Grid("weekly", 1, row["start_at"], "UTC")
    next_run = schedule(conn, rid)
    assert next_run and next_run["next_run_at"] == weekly.end_time(row["grid_changed_at"])


async def test_deleting_a_user_removes_their_participations(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, _ = await _started(conn, processor, clock, ["ann", "bob"])
    conn.execute("DELETE FROM users WHERE name = 'ann'")
    await run_jobs(conn, processor)
    assert on_call(conn, rid)[1] == "bob"  # type: ignore[index]
    assert history(conn, rid)[0] == ("started", history(conn, rid)[0][1], None, "ann")


async def test_deleting_a_rotation_with_a_waiting_job(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    start = _start(clock)
    rid = rotation(conn, "ops", start)
    add(conn, rid, user(conn, "ann"))
    job = schedule(conn, rid)
    assert job and job["job_id"] is not None
    conn.execute("DELETE FROM rotations WHERE id = %s", (rid,))
    assert await run_jobs(conn, processor) == 0
    # A job already fetched when its rotation went away finds nothing to do.
    assert await processor.process(rid, job["job_id"]) is None


async def test_a_failing_rotation_is_split_out_and_recovers_when_fixed(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    start = _start(clock)
    bad, good = rotation(conn, "bad", start), rotation(conn, "good", start)
    ann = user(conn, "ann")
    add(conn, bad, ann)
    add(conn, good, ann)
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotations SET time_zone = 'Mars/Olympus' WHERE id = %s", (bad,))
    conn.execute("DELETE FROM procrastinate_jobs")
    await processor.run_job(1, [bad, good])
    assert on_call(conn, good) is not None
    split = conn.execute(
        "SELECT id, args FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo'",
        (f"rotation:{bad}",),
    ).fetchall()
    assert [r["args"]["rotation_ids"] for r in split] == [[str(bad)]]
    assert await run_jobs(conn, processor) == 1  # fails alone
    assert on_call(conn, bad) is None
    conn.execute("UPDATE rotations SET time_zone = 'UTC' WHERE id = %s", (bad,))
    conn.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE status = 'doing'")
    assert await run_jobs(conn, processor) == 1
    assert on_call(conn, bad) is not None


async def test_a_job_run_twice_records_each_boundary_once(
    conn: Conn, processor: Processor, clock: ClockSeam
) -> None:
    rid, grid = await _started(conn, processor, clock, ["ann", "bob"])
    clock.set(grid.end_time(clock.now()) + 2 * DAY)
    await processor.run_job(7, [rid])
    await processor.run_job(7, [rid])
    assert len([h for h in history(conn, rid) if h[0] == "boundary"]) == 3


async def test_concurrent_processors_record_each_boundary_once(
    db_url: str, conn: Conn, clock: ClockSeam
) -> None:
    async with AsyncConnectionPool(db_url, min_size=4, max_size=8, open=False) as big:
        processor = Processor(big)
        rid, grid = await _started(conn, processor, clock, ["ann", "bob"])
        clock.set(grid.end_time(clock.now()) + 5 * DAY)
        await asyncio.gather(*(processor.process(rid, None) for _ in range(8)))
    assert len([h for h in history(conn, rid) if h[0] == "boundary"]) == 6
    assert on_call(conn, rid)[1] == "ann"  # type: ignore[index]
