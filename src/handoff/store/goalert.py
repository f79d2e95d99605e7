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
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from handoff import oncall, rotation
from handoff.goalert import model
from handoff.goalert.plan import Existing, Item, Outcome, UserWrite
from handoff.store import state
from handoff.store.queries import Queries
from handoff.store.state import Edit, Locked, ParticipantRow

Q = Queries("goalert")


async def _rows(conn: AsyncConnection[Any], name: str, **args: Any) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q[name], args)
        return await cur.fetchall()


async def existing(conn: AsyncConnection[Any], snapshot: model.Snapshot) -> Existing:
    """What handoff holds for GoAlert's rotations and users (by their ids and names)."""
    ids = [r.id for r in snapshot.rotations]
    wanted = set(ids)
    user_ids = list(snapshot.users)
    owners = await _rows(
        conn, "rotations_by_id_or_name", ids=ids, names=[r.name.strip() for r in snapshot.rotations]
    )
    return Existing(
        imported={
            row["rotation_id"]: row["source"]
            for row in await _rows(conn, "imported_rotations", ids=ids)
        },
        rotations=frozenset(row["id"] for row in owners if row["id"] in wanted),
        names={row["name"]: row["id"] for row in owners},
        imported_users={
            row["user_id"]: row["source"]
            for row in await _rows(conn, "imported_users", ids=user_ids)
        },
        users=frozenset(row["id"] for row in await _rows(conn, "users_by_id", ids=user_ids)),
    )


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
    except psycopg.errors.UniqueViolation:
        assert item.config is not None
        return Applied("conflict", f"handoff already has a rotation named {item.config.name!r}")
    return Applied(item.outcome, item.message)


async def _write_users(conn: AsyncConnection[Any], writes: Sequence[UserWrite]) -> None:
    for user in writes:
        if user.action == "keep":
            continue
        args = {"id": user.id, "name": user.name, "email": user.email}
        await conn.execute(Q["create_user" if user.action == "create" else "update_user"], args)
        await conn.execute(Q["remember_user"], {"id": user.id, "source": Jsonb(user.source)})


def _config_args(item: Item) -> dict[str, Any]:
    config = item.config
    assert config is not None
    state_ = item.goalert.state
    return {
        "id": item.goalert.id,
        "name": config.name,
        "description": config.description,
        "type": config.type,
        "shift_length": config.shift_length,
        "start": config.start,
        "time_zone": config.time_zone,
        "anchor": None if state_ is None else state_.shift_start,
    }


def _participant_rows(item: Item) -> list[ParticipantRow]:
    names = {u.id: u.name for u in item.users}
    return [
        ParticipantRow(p.id, p.user_id, position, names[p.user_id])
        for position, p in enumerate(item.goalert.participants)
    ]


def _goalert_state(item: Item, rows: Sequence[ParticipantRow], locked: Locked) -> rotation.Change:
    """GoAlert's state as it is; participants without a state start now, as GoAlert would."""
    goalert = item.goalert.state
    if goalert is None:
        return rotation.start([p.core() for p in rows], locked.now)
    position = item.position
    assert position is not None
    return rotation.Change(rotation.State(position, goalert.participant_id, goalert.shift_start))


async def _create(conn: AsyncConnection[Any], item: Item) -> None:
    await conn.execute(Q["insert_rotation"], _config_args(item))
    rows = _participant_rows(item)

    async def edit(locked: Locked) -> Edit:
        return Edit(_goalert_state(item, rows, locked), participants=rows)

    written = await state.write(conn, item.goalert.id, edit)
    assert written is not None
    await _record(conn, item, rows, written.locked.now, None)
    await _remember(conn, item)


async def _update(conn: AsyncConnection[Any], item: Item) -> None:
    """Bring an imported rotation to GoAlert's rows, after recording handoff's own boundaries.

    A history row is added only when the person on call (after that catch-up) changes.
    """
    rows = _participant_rows(item)
    caught_up: list[Locked] = []

    async def edit(locked: Locked) -> Edit:
        caught_up.append(locked)
        await conn.execute(Q["update_rotation"], _config_args(item))
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
    await _remember(conn, item)


async def _record(
    conn: AsyncConnection[Any],
    item: Item,
    rows: Sequence[ParticipantRow],
    now: datetime,
    previous: ParticipantRow | None,
) -> None:
    """The history row of an import that puts GoAlert's on-call participant on call."""
    goalert = item.goalert.state
    if goalert is None or item.on_call is None:
        return
    to = next(p for p in rows if p.id == item.on_call.id)
    await conn.execute(
        Q["record_imported"],
        {
            "rotation_id": item.goalert.id,
            "at": goalert.shift_start,
            "processed_at": now,
            "from_participant_id": previous.id if previous else None,
            "to_participant_id": to.id,
            "from_user_id": previous.user_id if previous else None,
            "from_user_name": previous.user_name if previous else None,
            "to_user_id": to.user_id,
            "to_user_name": to.user_name,
        },
    )


async def _remember(conn: AsyncConnection[Any], item: Item) -> None:
    await conn.execute(
        Q["remember_rotation"], {"id": item.goalert.id, "source": Jsonb(item.goalert.source())}
    )
