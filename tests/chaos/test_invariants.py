"""The invariant checker catches what it is there to catch, and passes a correct engine.

Rotations are brought up to date by the engine's own per-rotation transaction (in process,
no workers), then the database is damaged the ways a broken engine would damage it; each
damage must show up in its own counter.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.chaos import invariants, population
from handoff.chaos.context import Context
from handoff.engine.process import Processor

FAULT = "checker"
ROTATIONS = 8


async def _process_all(url: str, ids: list[UUID]) -> None:
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        processor = Processor(pool)
        for rotation_id in ids:
            await processor.process(rotation_id, None)


@pytest.fixture
def settled(chaos_context: Context) -> str:
    since = datetime.now(UTC) - timedelta(hours=5)
    ids = population.write(chaos_context.url, FAULT, population.behind(ROTATIONS, since, seed=1))
    asyncio.run(_process_all(chaos_context.url, ids))
    return chaos_context.url


def _sql(url: str, query: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(query)


def test_a_correct_engine_passes(settled: str) -> None:
    check = invariants.check(settled, FAULT)
    assert check.ok, check.problems()
    assert check.rotations == ROTATIONS
    assert check.boundaries == check.recorded > ROTATIONS


def test_before_the_engine_runs_every_old_boundary_is_missing(chaos_context: Context) -> None:
    since = datetime.now(UTC) - timedelta(hours=5)
    population.write(chaos_context.url, FAULT, population.behind(ROTATIONS, since, seed=1))
    check = invariants.check(chaos_context.url, FAULT)
    assert check.recorded == 0
    assert check.missing == check.boundaries > 0
    assert not check.ok


def test_a_lost_handoff_is_missing(settled: str) -> None:
    _sql(settled, "DELETE FROM handoffs WHERE id = (SELECT min(id) FROM handoffs)")
    check = invariants.check(settled, FAULT)
    assert check.missing == 1
    assert not check.ok


def test_a_handoff_at_no_boundary_is_unexpected(settled: str) -> None:
    _sql(
        settled,
        "UPDATE handoffs SET boundary_at = boundary_at + interval '1 second'"
        " WHERE id = (SELECT min(id) FROM handoffs)",
    )
    check = invariants.check(settled, FAULT)
    assert check.unexpected == 1
    assert check.missing == 1


def test_a_handoff_to_the_wrong_participant_is_caught(settled: str) -> None:
    _sql(
        settled,
        "UPDATE handoffs SET to_participant_id = from_participant_id"
        " WHERE id = (SELECT min(id) FROM handoffs)",
    )
    assert invariants.check(settled, FAULT).wrong_participants == 1


def test_a_state_that_differs_from_the_core_is_caught(settled: str) -> None:
    _sql(
        settled,
        "UPDATE rotation_state SET shift_start = shift_start - interval '1 hour'"
        " WHERE rotation_id = (SELECT min(rotation_id::text)::uuid FROM rotation_state)",
    )
    check = invariants.check(settled, FAULT)
    assert check.state_mismatches == 1
    # Only the state was damaged: the schedule still points at the core's next handoff.
    assert check.unscheduled == 0
    assert not check.ok


def test_a_rotation_left_without_a_schedule_is_caught(settled: str) -> None:
    _sql(
        settled,
        "DELETE FROM rotation_schedule"
        " WHERE rotation_id = (SELECT min(rotation_id::text)::uuid FROM rotation_schedule)",
    )
    assert invariants.check(settled, FAULT).unscheduled == 1


def test_a_doubled_boundary_is_counted(settled: str) -> None:
    # The unique index forbids it; without the index the checker must still see it.
    _sql(settled, "DROP INDEX handoffs_boundary_once_idx")
    _sql(
        settled,
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " from_participant_id, to_participant_id, from_user_id, from_user_name, to_user_id,"
        " to_user_name)"
        " SELECT rotation_id, boundary_at, processed_at, cause, engine, from_participant_id,"
        " to_participant_id, from_user_id, from_user_name, to_user_id, to_user_name"
        " FROM handoffs WHERE id = (SELECT min(id) FROM handoffs)",
    )
    check = invariants.check(settled, FAULT)
    assert check.duplicated == 1
    assert not check.ok
