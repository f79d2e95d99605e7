"""After the import, the queue engine hands the imported rotations off at handoff's grid
instants from GoAlert's shift_start; a stale state is caught up at once, one position and one
history row per boundary GoAlert had not advanced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from engine.helpers import run_jobs
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.process import Processor
from handoff.grid import Grid
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .conftest import Cli
from .world import STALE_BOUNDARIES, World, build, state

LATER = timedelta(days=8)


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(db_url, min_size=1, max_size=4, open=False) as opened:
        yield opened


async def _run_engine(pool: AsyncConnectionPool[Any], db_url: str) -> None:
    await Dispatcher(pool).tick()
    with connect(db_url, autocommit=True) as conn:
        await run_jobs(conn, Processor(pool))


def _boundaries(db_url: str, rotation_id: Any) -> list[dict[str, Any]]:
    with connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT boundary_at, from_participant_id, to_participant_id FROM handoffs"
            " WHERE rotation_id = %s AND cause = 'boundary' ORDER BY boundary_at",
            (rotation_id,),
        ).fetchall()


def _instants(grid: Grid, shift_start: datetime, until: datetime) -> list[datetime]:
    """handoff's grid boundaries after shift_start, up to `until`."""
    instants = []
    boundary = grid.end_time(shift_start)
    while boundary <= until:
        instants.append(boundary)
        boundary = grid.end_time(boundary)
    return instants


async def test_the_queue_engine_hands_off_imported_rotations_on_time(
    cli: Cli, db_url: str, goalert_url: str, pool: AsyncConnectionPool[Any]
) -> None:
    with connect(goalert_url, autocommit=True) as conn:
        world: World = build(conn)
        states = {
            name: state(conn, rid) for name, rid in world.rotations.items() if name != "Empty"
        }
        grids = {name: world.grid(conn, name) for name in states}
    clock = ClockSeam(db_url, datetime.now(UTC))
    started = clock.now()
    report = await asyncio.to_thread(cli.json, "import", "goalert", "--from", goalert_url)
    assert report["counts"]["created"] == 8

    await _run_engine(pool, db_url)
    caught_up = _boundaries(db_url, world.rotations["Stale"])
    assert [b["boundary_at"] for b in caught_up] == _instants(
        grids["Stale"], states["Stale"]["shift_start"], started
    )
    assert len(caught_up) == STALE_BOUNDARIES
    assert caught_up[-1]["to_participant_id"] == world.participants["Stale"][1]
    for name in states:
        if name != "Stale":
            assert _boundaries(db_url, world.rotations[name]) == [], name

    clock.set(started + LATER)
    await _run_engine(pool, db_url)
    for name, goalert in states.items():
        people = world.participants[name]
        recorded = _boundaries(db_url, world.rotations[name])
        instants = _instants(grids[name], goalert["shift_start"], started + LATER)
        assert [b["boundary_at"] for b in recorded] == instants, name
        position = goalert["position"]
        for handoff in recorded:
            following = (position + 1) % len(people)
            assert handoff["from_participant_id"] == people[position], name
            assert handoff["to_participant_id"] == people[following], name
            position = following
