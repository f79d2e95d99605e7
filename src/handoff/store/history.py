"""A rotation's on-call timeline, newest first: what actually happened, names kept.

Every on-call change is a row with its cause; `effective` says whether the effective person
changed (a boundary inside an override is recorded but changes nobody's pager).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store import times
from handoff.store.errors import NotFound
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("history")


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    boundary_at: datetime
    processed_at: datetime
    cause: str
    effective: bool
    from_user_id: UUID | None
    from_user_name: str | None
    to_user_id: UUID | None  # None: nobody (an override, or the last participant removed)
    to_user_name: str | None
    override_id: UUID | None
    change_id: UUID | None
    made_by: str | None  # who made the manual change (the audit log's name); None: the engine


async def history(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[Entry]:
    check_limit(limit)
    since = None if since is None else times.check("since", since)
    until = None if until is None else times.check("until", until)
    after = decode(cursor, datetime, int) or [None, None]
    async with conn.cursor() as cur:
        await cur.execute(Q["rotation_exists"], {"rotation_id": rotation_id})
        if await cur.fetchone() is None:
            raise NotFound("rotation", rotation_id)
    async with conn.cursor(row_factory=class_row(Entry)) as cur:
        await cur.execute(
            Q["history"],
            {
                "rotation_id": rotation_id,
                "since": since,
                "until": until,
                "after_at": after[0],
                "after_id": after[1],
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    return page(rows, limit, lambda e: (e.boundary_at, e.id))
