"""Who takes part in a rotation: every change applies the pure rules in one transaction.

Each function locks the rotation (`state.lock`), computes the change with `handoff.rotation`,
writes the participant rows, the state and its handoffs (`state.save`), and the next run time
in the same transaction. The database triggers enqueue the engine's job in
that transaction too, so nothing here enqueues by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg import AsyncConnection

from handoff import rotation
from handoff.grid import Grid
from handoff.store import state
from handoff.store.errors import NotFound, invalid
from handoff.store.queries import Queries
from handoff.store.state import Locked, ParticipantRow

Q = Queries("participants")
U = Queries("users")


async def lock(conn: AsyncConnection[Any], rotation_id: UUID) -> Locked:
    locked = await state.lock(conn, rotation_id)
    if locked is None:
        raise NotFound("rotation", rotation_id)
    return locked


async def user_names(
    conn: AsyncConnection[Any], user_ids: Sequence[UUID], field: str
) -> dict[UUID, str]:
    """The names of the given users; an unknown one is a validation error on `field`."""
    async with conn.cursor() as cur:
        await cur.execute(U["user_names"], {"ids": list(set(user_ids))})
        names: dict[UUID, str] = {row[0]: row[1] for row in await cur.fetchall()}
    for index, user_id in enumerate(user_ids):
        if user_id not in names:
            where = field if field == "user_id" else f"{field}.{index}"
            raise invalid(where, f"no user {user_id}")
    return names


def check_count(count: int, limit: int, field: str) -> None:
    try:
        rotation.check_participant_count(count, limit)
    except rotation.RuleError as exc:
        raise invalid(field, str(exc)) from None


def rows_for(
    old: Sequence[ParticipantRow], user_ids: Sequence[UUID], names: dict[UUID, str]
) -> list[ParticipantRow]:
    """The new list, reusing the participant ids of users who stay (first unused match)."""
    unused = list(old)
    rows: list[ParticipantRow] = []
    for position, user_id in enumerate(user_ids):
        match = next((p for p in unused if p.user_id == user_id), None)
        if match is not None:
            unused.remove(match)
        participant_id = match.id if match is not None else uuid4()
        rows.append(ParticipantRow(participant_id, user_id, position, names[user_id]))
    return rows


async def write(conn: AsyncConnection[Any], locked: Locked, rows: Sequence[ParticipantRow]) -> None:
    """Make the stored list equal `rows`, touching only what differs."""
    old = {p.id: p for p in locked.participants}
    kept = [p for p in rows if p.id in old]
    added = [p for p in rows if p.id not in old]
    gone = [pid for pid in old if pid not in {p.id for p in rows}]
    args: dict[str, object] = {"rotation_id": locked.id}
    if gone:
        await conn.execute(Q["delete_participants"], args | {"ids": gone})
    moved = [p for p in kept if old[p.id].position != p.position]
    if moved:
        await conn.execute(
            Q["move_participants"],
            args | {"ids": [p.id for p in moved], "positions": [p.position for p in moved]},
        )
    if added:
        await conn.execute(
            Q["insert_participants"],
            args
            | {
                "ids": [p.id for p in added],
                "user_ids": [p.user_id for p in added],
                "positions": [p.position for p in added],
            },
        )


async def commit(
    conn: AsyncConnection[Any],
    locked: Locked,
    grid: Grid,
    change: rotation.Change,
    rows: Sequence[ParticipantRow],
    *,
    now: datetime,
) -> None:
    """Write the list, the state with its handoffs, and the next run time."""
    await write(conn, locked, rows)
    await state.save(
        conn,
        locked,
        change,
        engine="api",
        now=now,
        next_run_at=rotation.next_run_at(grid, change.state),
        participants=rows,
    )


def core(rows: Sequence[ParticipantRow]) -> list[rotation.Participant]:
    return [p.core() for p in rows]


async def add(
    conn: AsyncConnection[Any], rotation_id: UUID, user_id: UUID, *, now: datetime, limit: int
) -> ParticipantRow:
    """Append a participant; the first one goes on call at once."""
    async with conn.transaction():
        locked = await lock(conn, rotation_id)
        check_count(len(locked.participants) + 1, limit, "user_id")
        names = await user_names(conn, [user_id], "user_id")
        added = ParticipantRow(uuid4(), user_id, len(locked.participants), names[user_id])
        rows = [*locked.participants, added]
        change = rotation.add_participant(locked.state, core(rows), now)
        await commit(conn, locked, locked.grid(), change, rows, now=now)
    return added


async def _remove_at(
    conn: AsyncConnection[Any], locked: Locked, index: int, *, now: datetime
) -> Locked:
    try:
        change = rotation.remove_participant(locked.state, locked.core_participants(), index, now)
    except rotation.RuleError as exc:
        raise invalid("participant_id", str(exc)) from None
    remaining = [p for i, p in enumerate(locked.participants) if i != index]
    rows = [ParticipantRow(p.id, p.user_id, i, p.user_name) for i, p in enumerate(remaining)]
    await commit(conn, locked, locked.grid(), change, rows, now=now)
    return dataclasses.replace(locked, participants=rows, state=change.state)


async def remove(
    conn: AsyncConnection[Any], rotation_id: UUID, participant_id: UUID, *, now: datetime
) -> None:
    """Remove one participant; if they were on call the next one takes the rest of the shift."""
    async with conn.transaction():
        locked = await lock(conn, rotation_id)
        index = next((i for i, p in enumerate(locked.participants) if p.id == participant_id), None)
        if index is None:
            raise NotFound("participant", participant_id)
        await _remove_at(conn, locked, index, now=now)


async def remove_user(
    conn: AsyncConnection[Any], rotation_id: UUID, user_id: UUID, *, now: datetime
) -> None:
    """Remove every participation of a user, one at a time by the removal rule."""
    locked = await lock(conn, rotation_id)
    while (
        index := next((i for i, p in enumerate(locked.participants) if p.user_id == user_id), None)
    ) is not None:
        locked = await _remove_at(conn, locked, index, now=now)


async def set_active(
    conn: AsyncConnection[Any], rotation_id: UUID, index: int, *, now: datetime
) -> None:
    """Hand the rest of the current shift to the participant at `index`."""
    async with conn.transaction():
        locked = await lock(conn, rotation_id)
        try:
            change = rotation.set_active(locked.state, locked.core_participants(), index, now)
        except rotation.RuleError as exc:
            raise invalid("active_index", str(exc)) from None
        await commit(conn, locked, locked.grid(), change, locked.participants, now=now)
