"""Writes of the GoAlert import into handoff's database, one transaction per rotation.

One transaction per rotation, as the engine does: a rotation that cannot be written (its name
taken in handoff since the plan was made) is reported while the others are imported; each
rotation's locks are held for one short transaction, so a running engine is not held up; and
a rotation's rows, its users and its record in `goalert_imported_rotations` commit together,
so an interrupted import leaves every rotation either imported or not, and a re-run finishes
the rest.

The state goes through handoff's one write path (`state.write`): the rotation is locked, its
own boundaries since its shift began are recorded first (a re-run after handoff's engine
handed off), and then GoAlert's participants and state are written as they are, with
GoAlert's ids. The next handoff is `end_time(shift_start)` on handoff's grid; for a stale state
(boundaries passed that GoAlert has not advanced) that instant is already past, so the engine
takes the rotation at once and records every missed boundary, one position per boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection

from handoff import oncall, rotation
from handoff.goalert.plan import Item, Outcome, UserWrite
from handoff.store import goalert, state
from handoff.store.state import Edit, Locked, ParticipantRow


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: Outcome
    message: str | None = None


async def apply(conn: AsyncConnection[Any], item: Item) -> Applied:
    """Write one planned rotation (and its users) in one transaction."""
    try:
        async with conn.transaction():
            await _write_users(conn, item.users)
            if item.outcome == "created":
                await _create(conn, item)
            elif item.outcome == "updated":
                await _update(conn, item)
    except psycopg.errors.UniqueViolation as exc:
        assert item.config is not None
        if exc.diag.constraint_name == "users_email_key":
            return Applied("conflict", "one of its users has the email of another person")
        return Applied("conflict", f"handoff already has a rotation named {item.config.name!r}")
    return Applied(item.outcome, item.message)


async def _write_users(conn: AsyncConnection[Any], writes: Sequence[UserWrite]) -> None:
    for user in writes:
        if user.action in ("create", "update"):
            await goalert.write_user(
                conn, user.id, user.name, user.email, user.source, create=user.action == "create"
            )


def _rotation_row(item: Item) -> goalert.RotationRow:
    config = item.config
    assert config is not None
    goalert_state = item.goalert.state
    return goalert.RotationRow(
        id=item.goalert.id,
        name=config.name,
        description=config.description,
        type=config.type,
        shift_length=config.shift_length,
        start=config.start,
        time_zone=config.time_zone,
        anchor=None if goalert_state is None else goalert_state.shift_start,
    )


def _participant_rows(item: Item) -> list[ParticipantRow]:
    """GoAlert's participants, each the person handoff has for their GoAlert user."""
    people = {u.id: u for u in item.users}
    return [
        ParticipantRow(p.id, people[p.user_id].handoff_id, position, people[p.user_id].name)
        for position, p in enumerate(item.goalert.participants)
    ]


def _goalert_state(item: Item, rows: Sequence[ParticipantRow], locked: Locked) -> rotation.Change:
    """GoAlert's state as it is; participants without a state start now, as GoAlert would."""
    goalert_state = item.goalert.state
    if goalert_state is None:
        return rotation.start([p.core() for p in rows], locked.now)
    position = item.position
    assert position is not None
    return rotation.Change(
        rotation.State(position, goalert_state.participant_id, goalert_state.shift_start)
    )


async def _create(conn: AsyncConnection[Any], item: Item) -> None:
    await goalert.insert_rotation(conn, _rotation_row(item))
    rows = _participant_rows(item)

    async def edit(locked: Locked) -> Edit:
        return Edit(_goalert_state(item, rows, locked), participants=rows)

    written = await state.write(conn, item.goalert.id, edit)
    assert written is not None
    await _record(conn, item, rows, written.locked.now, None)
    await goalert.remember_rotation(conn, item.goalert.id, item.goalert.source())


async def _update(conn: AsyncConnection[Any], item: Item) -> None:
    """Bring an imported rotation to GoAlert's rows, after recording handoff's own boundaries.

    A history row is added only when the person on call (after that catch-up) changes.
    """
    rows = _participant_rows(item)
    caught_up: list[Locked] = []

    async def edit(locked: Locked) -> Edit:
        caught_up.append(locked)
        await goalert.update_rotation(conn, _rotation_row(item))
        g = item.grid  # GoAlert's grid; the rotation keeps its active hours
        config = None
        if g is not None:
            config = oncall.Config(
                g.type, g.shift_length, g.start, g.time_zone, locked.active_hours, locked.turns
            )
        return Edit(_goalert_state(item, rows, locked), participants=rows, config=config)

    await state.write(conn, item.goalert.id, edit)
    before = caught_up[0]
    on_call = before.state.participant_id if before.state is not None else None
    if item.on_call is not None and item.on_call.id != on_call:
        previous = next((p for p in before.participants if p.id == on_call), None)
        await _record(conn, item, rows, before.now, previous)
    await goalert.remember_rotation(conn, item.goalert.id, item.goalert.source())


async def _record(
    conn: AsyncConnection[Any],
    item: Item,
    rows: Sequence[ParticipantRow],
    now: datetime,
    previous: ParticipantRow | None,
) -> None:
    """The history row of an import that puts GoAlert's on-call participant on call."""
    goalert_state = item.goalert.state
    if goalert_state is None or item.on_call is None:
        return
    to = next(p for p in rows if p.id == item.on_call.id)
    await goalert.record_imported(
        conn, item.goalert.id, goalert_state.shift_start, now, previous, to
    )
