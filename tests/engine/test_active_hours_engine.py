"""The engine records the edges of the active period (hours.md) as it records boundaries: at
their instants, once, waking at the earliest of every edge; after a downtime across a weekend
the batch engine records active edges, turn passes, override edges and a scheduled change
interleaved in time order. Hours and changes are written with plain SQL, as any writer could.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from handoff.engine.batch import BatchEngine
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.process import Processor
from handoff.store.clock import ClockSeam

from .helpers import Conn, add, rotation, run_jobs, schedule, user

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
FRIDAY = datetime(2027, 1, 8, 10, tzinfo=UTC)
OPENS = FRIDAY - HOUR  # 09:00 UTC
CLOSES = OPENS + 8 * HOUR
MONDAY = OPENS + 3 * DAY
BUSINESS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]


def _weekdays(conn: Conn, clock: ClockSeam) -> tuple[UUID, UUID, UUID, UUID]:
    clock.set(FRIDAY)
    rid = rotation(conn, "ops", OPENS - 4 * DAY)  # daily at 09:00 UTC, from a Monday
    conn.execute("UPDATE rotations SET active_hours = %s WHERE id = %s", (Jsonb(BUSINESS), rid))
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    add(conn, rid, ann, bob, cy)
    return rid, ann, bob, cy


def _timeline(conn: Conn, rid: UUID) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT boundary_at, cause, from_user_name, to_user_name, processed_at FROM handoffs"
        " WHERE rotation_id = %s ORDER BY boundary_at, id",
        (rid,),
    ).fetchall()
    return [tuple(r.values()) for r in rows]


async def _run_at(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam, at: datetime
) -> int:
    clock.set(at)
    await Dispatcher(pool).tick()
    return await run_jobs(conn, processor)


async def test_queue_jobs_record_active_edges_at_their_instants_once(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    rid, *_ = _weekdays(conn, clock)
    await run_jobs(conn, processor)
    assert schedule(conn, rid) == {"next_run_at": CLOSES, "job_id": None}
    assert await _run_at(conn, pool, processor, clock, CLOSES) == 1
    assert schedule(conn, rid) == {"next_run_at": MONDAY, "job_id": None}  # not the weekend
    assert await _run_at(conn, pool, processor, clock, MONDAY) == 1
    assert await _run_at(conn, pool, processor, clock, MONDAY + HOUR) == 0
    assert _timeline(conn, rid) == [
        (FRIDAY, "started", None, "ann", FRIDAY),
        (CLOSES, "active_end", "ann", None, CLOSES),
        (MONDAY, "boundary", None, "bob", MONDAY),
    ]
    assert schedule(conn, rid) == {"next_run_at": MONDAY + 8 * HOUR, "job_id": None}


async def test_batch_catch_up_across_a_weekend_interleaves_in_time_order(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    rid, ann, _, cy = _weekdays(conn, clock)
    await run_jobs(conn, processor)
    saturday = OPENS + DAY + HOUR  # 10:00
    for start, end, who, replaces in (
        (saturday, saturday + 4 * HOUR, cy, None),  # puts cy on call on a weekend
        (saturday + DAY - 2 * HOUR, saturday + DAY, cy, ann),  # conditional: nothing there
    ):
        conn.execute(
            "INSERT INTO overrides (rotation_id, start_at, end_at, user_id, replaces_user_id)"
            " VALUES (%s, %s, %s, %s, %s)",
            (rid, start, end, who, replaces),
        )
    sunday_noon = OPENS + 2 * DAY + 3 * HOUR
    conn.execute(
        "INSERT INTO scheduled_changes (rotation_id, effective_at, active_hours)"
        " VALUES (%s, %s, 'null'::jsonb)",  # always active from Sunday noon
        (rid, sunday_noon),
    )
    conn.execute("DELETE FROM procrastinate_jobs")  # the batch engine alone, three days later
    engine = BatchEngine(pool, interval=HOUR, max_advances=150)
    tuesday = MONDAY + DAY + 3 * HOUR
    for _ in range(2):  # the second cycle finds nothing new
        clock.set(tuesday)
        await engine.cycle()
    assert [row[:4] for row in _timeline(conn, rid)] == [
        (FRIDAY, "started", None, "ann"),
        (CLOSES, "active_end", "ann", None),
        (saturday, "override_started", None, "cy"),
        (saturday + 4 * HOUR, "override_ended", "cy", None),
        (saturday + DAY - 2 * HOUR, "override_started", None, None),
        (saturday + DAY, "override_ended", None, None),
        (sunday_noon, "scheduled_change", None, "ann"),
        (MONDAY, "boundary", "ann", "bob"),
        (MONDAY + DAY, "boundary", "bob", "cy"),
    ]
    stored = conn.execute("SELECT active_hours FROM rotations WHERE id = %s", (rid,)).fetchone()
    assert stored == {"active_hours": None}
