"""Reading who is on call costs a fixed number of statements, whatever the number of
rotations (issue 20 item 6): the inputs of every rotation come from one statement
(`handoff.store.inputs`), the recorded past from one more, and the pure projection does
the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import TupleRow

from handoff.store import overrides, projections, rotations, users

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


class CountingCursor(AsyncCursor[TupleRow]):
    """Counts the statements sent through it (the real database runs them all)."""

    count = 0

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        CountingCursor.count += 1
        return await super().execute(query, params, **kwargs)


async def _populate(conn: AsyncConnection[Any], first: int, last: int) -> None:
    ann = await users.create(conn, f"Ann {first}", None, now=T0)
    bo = await users.create(conn, f"Bo {first}", None, now=T0)
    for n in range(first, last):
        config = rotations.Config(f"r{n:04}", "hourly", T0, "UTC")
        made = await rotations.create(conn, config, [ann.id, bo.id], limit=10)
        if n % 2:  # half of them with an override ahead, which the projection walks
            soon = datetime.now(UTC) + timedelta(hours=1)
            draft = overrides.Draft(soon, soon + timedelta(hours=1), bo.id)
            await overrides.create(conn, made.id, draft, limit=10)


async def _statements(conn: AsyncConnection[Any], read: Awaitable[Any]) -> tuple[int, Any]:
    """The statements `read` runs, and what it returns."""
    conn.cursor_factory = CountingCursor
    CountingCursor.count = 0
    try:
        found = await read
    finally:
        conn.cursor_factory = AsyncCursor
    return CountingCursor.count, found


async def _counts(url: str, sizes: tuple[int, ...]) -> list[tuple[int, ...]]:
    counts = []
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        made = 0
        for size in sizes:
            await _populate(conn, made, size)
            made = size
            now = datetime.now(UTC)
            reads = (
                projections.oncall(conn, now),
                projections.oncall(conn, T0 + timedelta(minutes=30)),  # the recorded past
                rotations.list_rotations(conn, now=now, limit=500),
                projections.shifts_of(conn, None, now - timedelta(days=1), now),
            )
            found = [await _statements(conn, read) for read in reads]
            on_call, _, listed, shifts = (f[1] for f in found)
            assert len(on_call) == len(listed.items) == len(shifts) == made
            assert all(isinstance(r.on_call_user_id, UUID) for r in listed.items)
            counts.append(tuple(f[0] for f in found))
    return counts


def test_reading_who_is_on_call_runs_the_same_statements_for_1_and_500_rotations(
    db_url: str,
) -> None:
    one, many = asyncio.run(_counts(db_url, (1, 500)))
    assert one == many
    assert one[0] <= 2  # the inputs, and the record of the past
