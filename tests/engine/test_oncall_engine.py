"""The engine records the on-call timeline (oncall.md): it wakes at override edges and scheduled
changes as at boundaries, records each at its instant, once, and after a downtime records
boundaries, changes and override edges interleaved in time order, as the pure projection says.

Overrides and changes are written with plain SQL, as any writer could: the triggers enqueue the
rotation, and the engine (not an API layer) keeps the rules. The clock is the seam's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool

from handoff import oncall
from handoff.engine.batch import BatchEngine
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.process import Processor
from handoff.rotation import Participant, State
from handoff.store import participants
from handoff.store.clock import ClockSeam

from .helpers import Conn, add, rotation, run_jobs, schedule, user

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _override(
    conn: Conn,
    rid: UUID,
    start: datetime,
    end: datetime,
    who: UUID | None,
    replaces: UUID | None = None,
) -> UUID:
    row = conn.execute(
        "INSERT INTO overrides (rotation_id, start_at, end_at, user_id, replaces_user_id)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (rid, start, end, who, replaces),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def _change(conn: Conn, rid: UUID, at: datetime, **fields: Any) -> UUID:
    columns = ", ".join(fields)
    marks = ", ".join(["%s"] * len(fields))
    row = conn.execute(
        f"INSERT INTO scheduled_changes (rotation_id, effective_at, {columns})"  # noqa: S608
        f" VALUES (%s, %s, {marks}) RETURNING id",
        (rid, at, *fields.values()),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def _timeline(conn: Conn, rid: UUID) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT boundary_at, cause, from_user_name, to_user_name, effective, override_id,"
        " change_id, processed_at FROM handoffs WHERE rotation_id = %s"
        " ORDER BY boundary_at, id",
        (rid,),
    ).fetchall()
    return [tuple(r.values()) for r in rows]


async def _run_at(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam, at: datetime
) -> int:
    """Move the clock to `at`, dispatch what is due, run its jobs; returns how many ran."""
    clock.set(at)
    await Dispatcher(pool).tick()
    return await run_jobs(conn, processor)


def _hour(clock: ClockSeam) -> datetime:
    return clock.now().replace(minute=0, second=0, microsecond=0)


async def test_override_edges_are_recorded_at_their_instants_once(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    start = _hour(clock) - DAY
    rid = rotation(conn, "ops", start)  # daily, UTC
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    begins, ends = _hour(clock) + 2 * HOUR, _hour(clock) + 5 * HOUR
    cover = _override(conn, rid, begins, ends, cy)
    await run_jobs(conn, processor)  # the trigger's job: nothing due yet, wakes at the edge
    assert schedule(conn, rid) == {"next_run_at": begins, "job_id": None}
    assert await _run_at(conn, pool, processor, clock, begins) == 1
    assert schedule(conn, rid) == {"next_run_at": ends, "job_id": None}
    assert await _run_at(conn, pool, processor, clock, ends) == 1
    assert await _run_at(conn, pool, processor, clock, ends + HOUR) == 0  # nothing more
    assert [row[:7] for row in _timeline(conn, rid)[1:]] == [
        (begins, "override_started", "ann", "cy", True, cover, None),
        (ends, "override_ended", "cy", "ann", True, cover, None),
    ]
    assert [row[7] for row in _timeline(conn, rid)[1:]] == [begins, ends]  # at the instant


async def test_a_scheduled_change_applies_at_its_instant_once(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    start = _hour(clock) - DAY
    rid = rotation(conn, "ops", start)
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    at = _hour(clock) + 3 * HOUR
    change = _change(conn, rid, at, participants=[bob, cy], type="weekly")
    await run_jobs(conn, processor)
    assert schedule(conn, rid) == {"next_run_at": at, "job_id": None}
    assert await _run_at(conn, pool, processor, clock, at) == 1
    assert await _run_at(conn, pool, processor, clock, at + HOUR) == 0
    assert [row[:7] for row in _timeline(conn, rid)[1:]] == [
        (at, "scheduled_change", "ann", "bob", True, None, change),
    ]
    applied = conn.execute(
        "SELECT applied_at, skipped FROM scheduled_changes WHERE id = %s", (change,)
    ).fetchone()
    assert applied == {"applied_at": at, "skipped": None}
    rotation_row = conn.execute(
        "SELECT type, grid_changed_at FROM rotations WHERE id = %s", (rid,)
    ).fetchone()
    assert rotation_row == {"type": "weekly", "grid_changed_at": at}
    members = conn.execute(
        "SELECT u.name FROM participants p JOIN users u ON u.id = p.user_id"
        " WHERE p.rotation_id = %s ORDER BY p.position",
        (rid,),
    ).fetchall()
    assert [m["name"] for m in members] == ["bob", "cy"]
    # the next handoff is the weekly grid's (anchored at the rotation's start) after the change
    assert schedule(conn, rid) == {"next_run_at": start + 7 * DAY, "job_id": None}


async def test_the_batch_engine_records_the_same_timeline(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    start = _hour(clock) - DAY
    rid = rotation(conn, "ops", start)
    ann, bob = user(conn, "ann"), user(conn, "bob")
    add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    begins, ends = _hour(clock) + HOUR, _hour(clock) + 2 * HOUR
    cover = _override(conn, rid, begins, ends, None)  # nobody on call
    change = _change(conn, rid, ends, active_index=1)
    conn.execute("DELETE FROM procrastinate_jobs")  # the batch engine alone
    engine = BatchEngine(pool, interval=HOUR, max_advances=150)
    for at in (begins, ends, ends):  # the last cycle finds nothing new
        clock.set(at)
        await engine.cycle()
    assert [row[:7] for row in _timeline(conn, rid)[1:]] == [
        (begins, "override_started", "ann", None, True, cover, None),
        # the change happens under the override (which names itself), so it changes no one
        (ends, "scheduled_change", "ann", "bob", False, cover, change),
        (ends, "override_ended", None, "bob", True, cover, None),
    ]


async def test_catch_up_after_three_days_interleaves_as_the_projection_says(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    start = _hour(clock) - 2 * HOUR
    rid = rotation(conn, "ops", start, type="hourly", shift_length=7, time_zone="Europe/Berlin")
    ann, bob, cy, dan = (user(conn, n) for n in ("ann", "bob", "cy", "dan"))
    add(conn, rid, ann, bob, cy)
    await run_jobs(conn, processor)
    t0 = clock.now()
    base = _hour(clock)
    overrides = [
        _override(conn, rid, base + 5 * HOUR, base + 9 * HOUR, dan),
        _override(conn, rid, base + 20 * HOUR, base + 28 * HOUR, dan, replaces=bob),
        _override(conn, rid, base + 40 * HOUR, base + 41 * HOUR, None),
    ]
    changes = [
        _change(conn, rid, base + 14 * HOUR, participants=[cy, ann, bob, dan]),
        _change(conn, rid, base + 28 * HOUR, shift_length=5),  # at an override's end
        _change(conn, rid, base + 50 * HOUR, participants=[dan, dan, bob], active_index=2),
    ]
    # What the projection says, from the inputs as they stand before the downtime.
    state_row = conn.execute(
        "SELECT position, participant_id, shift_start FROM rotation_state WHERE rotation_id = %s",
        (rid,),
    ).fetchone()
    assert state_row
    members = conn.execute(
        "SELECT id, user_id FROM participants WHERE rotation_id = %s ORDER BY position", (rid,)
    ).fetchall()
    config = oncall.Config("hourly", 7, start, "Europe/Berlin")
    state = State(state_row["position"], state_row["participant_id"], state_row["shift_start"])
    pure_overrides = [oncall.Override(o, *_override_row(conn, o)) for o in overrides]
    pure_changes = [_change_row(conn, c) for c in changes]
    now = t0 + 3 * DAY
    expected = oncall.events(
        oncall.Inputs(
            config,
            state,
            [Participant(m["id"], m["user_id"]) for m in members],
            pure_overrides,
            pure_changes,
        ),
        t0,
        now,
    )
    clock.set(now)
    await Dispatcher(pool).tick()
    await run_jobs(conn, processor)
    recorded = conn.execute(
        "SELECT boundary_at, cause, to_user_id, effective, override_id, change_id FROM handoffs"
        " WHERE rotation_id = %s AND boundary_at > %s ORDER BY boundary_at, id",
        (rid, t0),
    ).fetchall()
    assert len(expected) > 20
    assert [tuple(r.values()) for r in recorded] == [
        (e.at, e.cause, e.to_user_id, e.effective, e.override_id, e.change_id) for e in expected
    ]
    assert {e.cause for e in expected} >= {
        "boundary",
        "scheduled_change",
        "override_started",
        "override_ended",
    }
    assert await run_jobs(conn, processor) == 0  # once


def _override_row(conn: Conn, override_id: UUID) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT start_at, end_at, user_id, replaces_user_id FROM overrides WHERE id = %s",
        (override_id,),
    ).fetchone()
    assert row
    return tuple(row.values())


def _change_row(conn: Conn, change_id: UUID) -> oncall.ScheduledChange:
    row = conn.execute(
        "SELECT effective_at, type, shift_length, start_at, time_zone, participants,"
        " active_index FROM scheduled_changes WHERE id = %s",
        (change_id,),
    ).fetchone()
    assert row
    people = row["participants"]
    return oncall.ScheduledChange(
        change_id,
        row["effective_at"].astimezone(UTC),
        type=row["type"],
        shift_length=row["shift_length"],
        start=row["start_at"],
        time_zone=row["time_zone"],
        participants=None if people is None else tuple(people),
        active_index=row["active_index"],
    )


@pytest.mark.parametrize("engine_first", [True, False], ids=["engine first", "writer first"])
async def test_the_engine_and_a_writer_racing_at_an_override_edge(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    processor: Processor,
    clock: ClockSeam,
    engine_first: bool,
) -> None:
    """At the instant an override starts, the engine's job and an edit race for the rotation:
    whichever locks it first records the edge, the other does not record it again, and the
    edit still applies. Both hold the rotation's lock for their whole transaction, so every
    race is one of two orders: each is forced in turn, then the two run at once."""
    start = _hour(clock) - DAY
    rid = rotation(conn, "ops", start)
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    edge = _hour(clock) + HOUR
    cover = _override(conn, rid, edge, edge + HOUR, cy)
    await run_jobs(conn, processor)
    clock.set(edge)

    async def edit() -> None:
        async with pool.connection() as aconn:
            await participants.set_active(aconn, rid, 1)

    async def engine() -> None:
        await processor.process(rid, None)

    first, second = (engine, edit) if engine_first else (edit, engine)
    await first()
    await second()
    for _ in range(2):  # the same race again finds nothing left to record
        await asyncio.gather(engine(), edit())
    rows = [row[:7] for row in _timeline(conn, rid)[1:]]
    assert rows == [
        (edge, "override_started", "ann", "cy", True, cover, None),
        # Bo takes the rest of Ann's shift underneath; Cy still covers it
        (edge, "manual", "ann", "bob", False, None, None),
    ]


async def test_an_override_created_in_force_starts_in_the_history_when_it_was_made(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    """The history said Ann was on call until the override was made: its start is recorded at
    its creation, once, not backdated to a `start` already past."""
    start = _hour(clock) - DAY
    rid = rotation(conn, "ops", start)
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    clock.advance(timedelta(minutes=30))
    made = clock.now()
    row = conn.execute(
        "INSERT INTO overrides (rotation_id, start_at, end_at, user_id, created_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (rid, _hour(clock) - HOUR, _hour(clock) + 2 * HOUR, cy, made),
    ).fetchone()
    assert row
    await run_jobs(conn, processor)
    clock.advance(HOUR)
    await run_jobs(conn, processor)
    assert [r[:7] for r in _timeline(conn, rid)[1:]] == [
        (made, "override_started", "ann", "cy", True, row["id"], None),
    ]


async def test_a_rotation_that_starts_while_an_override_is_in_force_starts_covered(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam
) -> None:
    """Cy covers a rotation nobody takes part in yet: Cy is on call from the override's
    making; Ann joining (the rotation starts) changes no one until the override ends."""
    base = _hour(clock)
    clock.set(base + timedelta(minutes=10))
    rid = rotation(conn, "ops", base - DAY)
    ann, cy = user(conn, "ann"), user(conn, "cy")
    made = clock.now()
    row = conn.execute(
        "INSERT INTO overrides (rotation_id, start_at, end_at, user_id, created_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (rid, base, base + 2 * HOUR, cy, made),
    ).fetchone()
    assert row
    cover = row["id"]
    clock.advance(timedelta(minutes=5))
    joined = clock.now()
    async with pool.connection() as aconn:
        await participants.add(aconn, rid, ann, limit=10)  # the rotation starts now, covered
    await run_jobs(conn, processor)
    assert [r[:7] for r in _timeline(conn, rid)] == [
        (made, "override_started", None, "cy", True, cover, None),
        (joined, "started", None, "ann", False, None, None),
    ]
    clock.set(base + 2 * HOUR)
    await Dispatcher(pool).tick()
    await run_jobs(conn, processor)
    assert [r[:7] for r in _timeline(conn, rid)][2:] == [
        (clock.now(), "override_ended", "cy", "ann", True, cover, None),
    ]
