"""Everything a calendar draws over a range, for a set of rotations, read in one snapshot.

The calendar page, the person page and the personal feed all take who is on call from here, and
this takes it from the API's own projection (`store.projections`), so the pages and the feeds
agree with `/shifts` and `/oncall`. The reads run in one repeatable-read transaction: a handoff
committed half-way through a page cannot show one rotation before it and another after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff.store import db, projections, text, users
from handoff.store.errors import StoreError
from handoff.store.queries import Queries

Q = Queries("calendar")


@dataclass(frozen=True, slots=True)
class Rotation:
    id: UUID
    name: str
    time_zone: str
    problem: str | None = None  # why it has no segments although it has a schedule


@dataclass(frozen=True, slots=True)
class Segment:
    """Who is on call in one rotation over [start, end); `user_id` None means nobody."""

    rotation_id: UUID
    user_id: UUID | None
    start: datetime
    end: datetime
    override_id: UUID | None = None
    turn_start: datetime | None = None  # when the own turn began (projected pieces)


@dataclass(frozen=True, slots=True)
class PendingChange:
    """A scheduled change of a rotation not applied yet, and what it will set."""

    rotation_id: UUID
    id: UUID
    effective_at: datetime
    fields: dict[str, object]  # the fields it sets (participants as user ids), by name
    note: str


@dataclass(frozen=True, slots=True)
class Projection:
    rotations: list[Rotation]  # by name
    segments: list[Segment]  # by rotation (in the order above), then start
    changes: list[PendingChange]  # by instant
    names: dict[UUID, str]  # of everyone named in the segments and the changes
    hidden: int = 0  # rotations that matched but were left out by the limit

    def name(self, user_id: UUID | None) -> str:
        if user_id is None:
            return "nobody"
        return self.names.get(user_id, "(deleted user)")

    def rotation(self, rotation_id: UUID) -> Rotation:
        return next(r for r in self.rotations if r.id == rotation_id)


async def project(
    conn: AsyncConnection[Any],
    since: datetime,
    until: datetime,
    *,
    rotation_ids: list[UUID] | None = None,
    user_id: UUID | None = None,
    q: str | None = None,
    limit: int | None = None,
    people: Sequence[UUID] | None = None,
    after: str | None = None,
) -> Projection:
    """Who is on call in [since, until) and the pending changes then, in every rotation, the
    ones asked for, or the ones `user_id` (or any of `people`: the reminder pass's batch) may
    be on call in (then only their segments); with
    `q` those whose name has it, with `after` those named after it, with `limit` the first so
    many by name (the rest are counted in `hidden`, never read).

    A rotation whose stored grid cannot be projected (written around the API) is kept, with
    the reason, and without segments; the window itself is checked as the API checks it.
    """
    since, until = projections.check_window(since, until)
    wanted = set(people or ()) | ({user_id} if user_id else set())
    async with db.snapshot(conn):
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                Q["rotations"],
                {
                    "rotation_ids": rotation_ids,
                    "user_ids": list(wanted) if wanted else None,
                    "pattern": text.like(q) if q else None,
                    "limit": limit,
                    "after": after,
                },
            )
            rows = await cur.fetchall()
            ids = [row["id"] for row in rows]
            await cur.execute(
                Q["pending_changes"], {"rotation_ids": ids, "since": since, "until": until}
            )
            pending = [_pending(row) for row in await cur.fetchall()]
        found: list[Rotation] = []
        segments: list[Segment] = []
        every = await projections.shifts_of(conn, ids, since, until) if ids else {}
        for row in rows:
            shifts = every.get(row["id"], [])
            if isinstance(shifts, StoreError):
                found.append(Rotation(row["id"], row["name"], row["time_zone"], str(shifts)))
                continue
            found.append(Rotation(row["id"], row["name"], row["time_zone"]))
            segments.extend(
                Segment(row["id"], s.user_id, s.start, s.end, s.override_id, s.turn_start)
                for s in shifts
                if not wanted or s.user_id in wanted
            )
        named = {s.user_id for s in segments if s.user_id}
        for change in pending:
            named.update(_participants(change))
        names = await users.names(conn, list(named))
    hidden = rows[0]["matched"] - len(rows) if rows else 0
    return Projection(found, segments, pending, names, hidden)


# The fields a scheduled change may set, named as in the API.
_FIELDS = ("type", "shift_length", "start", "time_zone", "participants", "active_index")


def _pending(row: dict[str, Any]) -> PendingChange:
    fields = {name: row[name] for name in _FIELDS if row[name] is not None}
    return PendingChange(row["rotation_id"], row["id"], row["effective_at"], fields, row["note"])


def _participants(change: PendingChange) -> list[UUID]:
    value = change.fields.get("participants")
    return list(value) if isinstance(value, list) else []
