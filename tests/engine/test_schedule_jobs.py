"""Schedules due together are recorded together (schedules.md, "Engine and history"; bench.md
round three, the schedule storm): the dispatcher puts schedules due at one instant into shared
jobs as it does rotations, and a job's run reads its schedules and all their layers in a fixed
number of statements, whatever their number; every change is still recorded once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.engine.dispatcher import SPREAD, Dispatcher
from handoff.engine.process import Processor
from handoff.store import schedules
from handoff.store.clock import ClockSeam

from .helpers import Conn, add, rotation, run_jobs, traced, user

HOUR = timedelta(hours=1)
# What a run writes per schedule with a change: its history row and its outbox message.
PER_CHANGE = ("INSERT INTO schedule_history", "INSERT INTO notify_messages")


async def _stack(
    conn: Conn, processor: Processor, clock: ClockSeam, count: int, layers: int, tag: str
) -> list[UUID]:
    """`count` schedules of `layers` hourly rotations each, recorded up to just before the
    rotations' next boundary and due at it (`_at_boundary` then moves the clock past it): each
    has one final change to record, its top layer passing the turn."""
    start = _boundary(clock) - 2 * HOUR
    ann, bob = user(conn, f"ann {tag}"), user(conn, f"bob {tag}")
    ids = []
    for s in range(count):
        stacked = []
        for layer in range(layers):
            rid = rotation(conn, f"{tag} {s}.{layer}", start, type="hourly")
            add(conn, rid, ann, bob)
            stacked.append(rid)
        row = conn.execute(
            "INSERT INTO schedules (name, time_zone, combine) VALUES (%s, 'UTC', 'priority')"
            " RETURNING id",
            (f"{tag} {s}",),
        ).fetchone()
        assert row
        conn.execute(
            "INSERT INTO schedule_layers (schedule_id, position, rotation_id)"
            " SELECT %s, o - 1, r FROM unnest(%s::uuid[]) WITH ORDINALITY AS l (r, o)",
            (row["id"], stacked),
        )
        ids.append(UUID(str(row["id"])))
    await run_jobs(conn, processor)  # the rotations start
    boundary = _boundary(clock)
    conn.execute(
        "INSERT INTO schedule_state (schedule_id, caught_up_at, next_run_at)"
        " SELECT unnest(%s::uuid[]), %s, %s",
        (ids, boundary - timedelta(seconds=1), boundary),
    )
    return ids


def _boundary(clock: ClockSeam) -> datetime:
    """The rotations' next boundary (the clock stands in the hour before it)."""
    return clock.now().replace(minute=0, second=0, microsecond=0) + HOUR


def _at_boundary(clock: ClockSeam) -> None:
    clock.set(_boundary(clock) + timedelta(seconds=1))


def _history(conn: Conn, ids: list[UUID]) -> list[tuple[UUID, datetime, str]]:
    rows = conn.execute(
        "SELECT schedule_id, at, cause FROM schedule_history WHERE schedule_id = ANY(%s)"
        " ORDER BY schedule_id, at",
        (ids,),
    ).fetchall()
    return [(r["schedule_id"], r["at"], r["cause"]) for r in rows]


async def _record(db_url: str, trace: Path, ids: list[UUID]) -> list[str]:
    async def run(pool: AsyncConnectionPool[Any]) -> None:
        async with pool.connection() as c:
            await schedules.record(c, ids)

    return await traced(db_url, trace, run)


async def test_a_runs_reads_do_not_grow_with_its_schedules_or_their_layers(
    conn: Conn, db_url: str, processor: Processor, clock: ClockSeam, tmp_path: Path
) -> None:
    one = await _stack(conn, processor, clock, 1, 1, "one")
    many = await _stack(conn, processor, clock, 6, 3, "many")
    _at_boundary(clock)
    alone = await _record(db_url, tmp_path / "one.trace", one)
    together = await _record(db_url, tmp_path / "many.trace", many)

    def fixed(sent: list[str]) -> list[str]:
        return [s for s in sent if not any(w in s for w in PER_CHANGE)]

    # The trace lists a statement when it is parsed: a repeated one (the per-change writes,
    # prepared after a few runs) may show once. Every other statement is the run's own, once.
    assert len(fixed(together)) == len(fixed(alone)) <= 8, (alone, together)
    assert {w for s in together for w in PER_CHANGE if w in s} == set(PER_CHANGE)
    recorded = _history(conn, many)
    assert [(s, c) for s, _, c in recorded] == [(s, "layer") for s in sorted(many)]
    assert len(_history(conn, one)) == 1
    await _record(db_url, tmp_path / "again.trace", many)  # a repeat records nothing twice
    assert _history(conn, many) == recorded


async def test_schedules_due_at_one_instant_share_jobs_each_change_recorded_once(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    processor: Processor,
    clock: ClockSeam,
) -> None:
    count = 2 * SPREAD + 2
    ids = await _stack(conn, processor, clock, count, 1, "storm")
    _at_boundary(clock)
    conn.execute("DELETE FROM procrastinate_jobs")
    tick = await Dispatcher(pool).tick()
    assert tick.dispatched == 2 * count  # the layers' rotations are due too
    jobs = conn.execute(
        "SELECT id, queueing_lock, args->'schedule_ids' AS ids FROM procrastinate_jobs"
        " WHERE task_name = 'update_schedules'"
    ).fetchall()
    assert 1 < len(jobs) < count  # shared, and spread over several for the workers
    assert sorted(UUID(i) for j in jobs for i in j["ids"]) == sorted(ids)
    assert all(j["queueing_lock"] is None for j in jobs if len(j["ids"]) > 1)
    owners = conn.execute(
        "SELECT count(*) AS n FROM schedule_state s JOIN procrastinate_jobs j ON j.id = s.job_id"
        " WHERE s.schedule_id = ANY(%s) AND j.args->'schedule_ids' ? s.schedule_id::text",
        (ids,),
    ).fetchone()
    assert owners and owners["n"] == count
    for job in jobs:
        async with pool.connection() as c:
            await schedules.record(c, [UUID(i) for i in job["ids"]])
    recorded = _history(conn, ids)
    assert sorted(s for s, _, _ in recorded) == sorted(ids)
    state = conn.execute(
        "SELECT count(*) AS n FROM schedule_state WHERE job_id IS NULL AND next_run_at > %s",
        (clock.now(),),
    ).fetchone()
    assert state and state["n"] == count


async def test_a_run_leaves_a_waiting_job_someone_holds(
    conn: Conn, db_url: str, processor: Processor, clock: ClockSeam, pool: AsyncConnectionPool[Any]
) -> None:
    """A run drops its schedules' waiting jobs, but not one a rotation's writer (or a worker)
    holds: it does not wait for it, so it cannot deadlock with a writer holding two."""
    held, free = await _stack(conn, processor, clock, 2, 1, "held")
    _at_boundary(clock)
    for schedule_id in (held, free):
        conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args,"
            " scheduled_at) VALUES ('rotations', 'update_schedules', %s, '{}', %s)",
            (f"schedule:{schedule_id}", clock.now() + HOUR),
        )
    with psycopg.connect(db_url) as writer:
        writer.execute(
            "SELECT id FROM procrastinate_jobs WHERE queueing_lock = %s FOR UPDATE",
            (f"schedule:{held}",),
        )
        async with pool.connection() as c:
            await asyncio.wait_for(schedules.record(c, [held, free]), timeout=10)
    waiting = conn.execute(
        "SELECT queueing_lock FROM procrastinate_jobs WHERE task_name = 'update_schedules'"
    ).fetchall()
    assert waiting == [{"queueing_lock": f"schedule:{held}"}]
    assert sorted(s for s, _, _ in _history(conn, [held, free])) == sorted([held, free])


async def test_a_schedule_that_cannot_be_walked_fails_alone(
    conn: Conn, processor: Processor, clock: ClockSeam, pool: AsyncConnectionPool[Any]
) -> None:
    """A layer whose grid was written around validation (a zone that does not exist) fails
    its schedule's run, not the others' of the same job; the job then fails, to be retried."""
    bad, good = await _stack(conn, processor, clock, 2, 1, "walk")
    _at_boundary(clock)
    conn.execute(
        "UPDATE rotations SET time_zone = 'Mars/Olympus_Mons' WHERE id ="
        " (SELECT rotation_id FROM schedule_layers WHERE schedule_id = %s)",
        (bad,),
    )
    async with pool.connection() as c:
        with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
            await schedules.record(c, [bad, good])
    assert [s for s, _, _ in _history(conn, [bad, good])] == [good]
