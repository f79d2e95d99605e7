"""Who takes part in a rotation: each change is an edit through the one write path.

Each function gives `state.write` the rule to apply (`handoff.rotation`) to the rotation as
locked and caught up to the engine's clock; the write path records the boundaries crossed
first, then writes the participant rows, the state, its handoffs and the next run time in
the same transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from psycopg import AsyncConnection

from handoff import rotation
from handoff.store import state
from handoff.store.errors import NotFound, invalid
from handoff.store.queries import Queries
from handoff.store.state import Edit, Locked, ParticipantRow

Q = Queries("participants")
U = Queries("users")


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


def core(rows: Sequence[ParticipantRow]) -> list[rotation.Participant]:
    return [p.core() for p in rows]


async def add(
    conn: AsyncConnection[Any], rotation_id: UUID, user_id: UUID, *, limit: int
) -> ParticipantRow:
    """Append a participant; the first one goes on call at once."""
    added: list[ParticipantRow] = []

    async def append(locked: Locked) -> Edit:
        check_count(len(locked.participants) + 1, limit, "user_id")
        names = await user_names(conn, [user_id], "user_id")
        added.append(ParticipantRow(uuid4(), user_id, len(locked.participants), names[user_id]))
        rows = [*locked.participants, *added]
        return Edit(rotation.add_participant(locked.state, core(rows), locked.now), rows)

    await _write(conn, rotation_id, append)
    return added[0]


def removed_at(locked: Locked, index: int) -> Edit:
    """The removal rule for the participant at `index` of the locked list."""
    try:
        change = rotation.remove_participant(
            locked.state, locked.core_participants(), index, locked.now
        )
    except rotation.RuleError as exc:
        raise invalid("participant_id", str(exc)) from None
    remaining = [p for i, p in enumerate(locked.participants) if i != index]
    rows = [ParticipantRow(p.id, p.user_id, i, p.user_name) for i, p in enumerate(remaining)]
    return Edit(change, rows)


async def remove(conn: AsyncConnection[Any], rotation_id: UUID, participant_id: UUID) -> None:
    """Remove one participant; if they were on call the next one takes the rest of the shift."""

    async def drop(locked: Locked) -> Edit:
        index = next((i for i, p in enumerate(locked.participants) if p.id == participant_id), None)
        if index is None:
            raise NotFound("participant", participant_id)
        return removed_at(locked, index)

    await _write(conn, rotation_id, drop)


async def remove_user(conn: AsyncConnection[Any], rotation_id: UUID, user_id: UUID) -> None:
    """Remove every participation of a user, one at a time by the removal rule."""

    async def drop_all(locked: Locked) -> Edit:
        return without_user(locked, user_id)

    await _write(conn, rotation_id, drop_all)


def without_user(locked: Locked, user_id: UUID) -> Edit:
    """The edit removing every participation of a user, one at a time by the removal rule."""
    handoffs: list[rotation.Handoff] = []
    current = locked
    while (
        index := next((i for i, p in enumerate(current.participants) if p.user_id == user_id), None)
    ) is not None:
        edit = removed_at(current, index)
        handoffs.extend(edit.change.handoffs)
        assert edit.participants is not None
        current = dataclasses.replace(
            current, participants=list(edit.participants), state=edit.change.state
        )
    return Edit(rotation.Change(current.state, tuple(handoffs)), current.participants)


async def set_active(conn: AsyncConnection[Any], rotation_id: UUID, index: int) -> None:
    """Hand the rest of the current shift to the participant at `index`."""

    async def hand_over(locked: Locked) -> Edit:
        try:
            change = rotation.set_active(
                locked.state, locked.core_participants(), index, locked.now
            )
        except rotation.RuleError as exc:
            raise invalid("active_index", str(exc)) from None
        return Edit(change)

    await _write(conn, rotation_id, hand_over)


async def _write(conn: AsyncConnection[Any], rotation_id: UUID, edit: state.EditFn) -> None:
    if await state.write(conn, rotation_id, edit) is None:
        raise NotFound("rotation", rotation_id)
