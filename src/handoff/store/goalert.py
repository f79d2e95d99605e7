"""The GoAlert import's rows in handoff's database: what was imported before, and the writes.

SQL only, on plain values: deciding what each GoAlert rotation becomes, and putting a
rotation's writes in one transaction, is `handoff.goalert`'s (`plan`, `write`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from handoff.store.queries import Queries
from handoff.store.state import ParticipantRow

Q = Queries("goalert")


@dataclass(frozen=True, slots=True)
class Person:
    """A person handoff has, as the import names them."""

    id: UUID
    name: str


@dataclass(frozen=True, slots=True)
class Existing:
    """What handoff's database holds for the rotations and users read from GoAlert."""

    imported: dict[UUID, dict[str, Any]]  # rotation id: GoAlert's rows as last imported
    rotations: frozenset[UUID]  # handoff rotations with a GoAlert rotation's id
    names: dict[str, UUID]  # handoff rotations with a GoAlert rotation's name: their ids
    imported_users: dict[UUID, dict[str, Any]]  # user id: GoAlert's row as last imported
    users: frozenset[UUID]  # handoff users with a GoAlert user's id
    # handoff people with a GoAlert user's email (lowercase): whom a new GoAlert user matches
    by_email: dict[str, Person] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RotationRow:
    """A GoAlert rotation's configuration as handoff holds it, under GoAlert's id."""

    id: UUID
    name: str
    description: str
    type: str
    shift_length: int
    start: datetime
    time_zone: str
    anchor: datetime | None  # GoAlert's shift_start: no grid change is stamped after it


@dataclass(frozen=True, slots=True)
class Gone:
    """A rotation imported from GoAlert that GoAlert no longer has; handoff still does."""

    id: UUID
    name: str


async def _rows(conn: AsyncConnection[Any], name: str, **args: Any) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q[name], args)
        return await cur.fetchall()


async def existing(
    conn: AsyncConnection[Any],
    rotations: dict[UUID, str],
    user_ids: list[UUID],
    emails: Sequence[str],
) -> Existing:
    """What handoff holds for these GoAlert rotations (id: name) and users, by id, name and
    email."""
    ids = list(rotations)
    owners = await _rows(
        conn,
        "rotations_by_id_or_name",
        ids=ids,
        names=[name.strip() for name in rotations.values()],
    )
    return Existing(
        imported={
            row["rotation_id"]: row["source"]
            for row in await _rows(conn, "imported_rotations", ids=ids)
        },
        rotations=frozenset(row["id"] for row in owners if row["id"] in rotations),
        names={row["name"]: row["id"] for row in owners},
        imported_users={
            row["user_id"]: row["source"]
            for row in await _rows(conn, "imported_users", ids=user_ids)
        },
        users=frozenset(row["id"] for row in await _rows(conn, "users_by_id", ids=user_ids)),
        by_email={
            row["email"]: Person(row["id"], row["name"])
            for row in await _rows(
                conn, "users_by_email", emails=sorted({e.strip().lower() for e in emails if e})
            )
        },
    )


async def gone(conn: AsyncConnection[Any], goalert_ids: list[UUID]) -> list[Gone]:
    """The imported rotations whose id is none of `goalert_ids` (all of GoAlert's now)."""
    return [
        Gone(row["id"], row["name"])
        for row in await _rows(conn, "imported_rotations_gone", ids=goalert_ids)
    ]


async def write_user(
    conn: AsyncConnection[Any],
    id: UUID,
    name: str,
    email: str | None,
    source: dict[str, Any],
    *,
    create: bool,
) -> None:
    """Create (or update) a user from GoAlert's row, and remember that row."""
    args = {"id": id, "name": name, "email": email}
    await conn.execute(Q["create_user" if create else "update_user"], args)
    await conn.execute(Q["remember_user"], {"id": id, "source": Jsonb(source)})


def _rotation_args(row: RotationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "type": row.type,
        "shift_length": row.shift_length,
        "start": row.start,
        "time_zone": row.time_zone,
        "anchor": row.anchor,
    }


async def insert_rotation(conn: AsyncConnection[Any], row: RotationRow) -> None:
    await conn.execute(Q["insert_rotation"], _rotation_args(row))


async def update_rotation(conn: AsyncConnection[Any], row: RotationRow) -> None:
    await conn.execute(Q["update_rotation"], _rotation_args(row))


async def record_imported(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    at: datetime,
    processed_at: datetime,
    previous: ParticipantRow | None,
    to: ParticipantRow,
) -> None:
    """The history row of an import that puts GoAlert's on-call participant on call."""
    await conn.execute(
        Q["record_imported"],
        {
            "rotation_id": rotation_id,
            "at": at,
            "processed_at": processed_at,
            "from_participant_id": previous.id if previous else None,
            "to_participant_id": to.id,
            "from_user_id": previous.user_id if previous else None,
            "from_user_name": previous.user_name if previous else None,
            "to_user_id": to.user_id,
            "to_user_name": to.user_name,
        },
    )


async def remember_rotation(
    conn: AsyncConnection[Any], rotation_id: UUID, source: dict[str, Any]
) -> None:
    """GoAlert's rows of a rotation as imported now: what the next run compares with."""
    await conn.execute(Q["remember_rotation"], {"id": rotation_id, "source": Jsonb(source)})
