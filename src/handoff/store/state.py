"""The one write path of a rotation: lock, catch up, apply the rule, save and schedule.

Every writer of who-is-on-call (queue jobs, API, CLI and UI edits, user deletion) calls
`write()`: it locks the rotation (the rotation row, then its state row, then its schedule row:
the one lock order), reads the engine's clock (the database's `handoff_now()`) in the same
round trip, records every boundary crossed since `shift_start` (engine.md, "Every writer
catches up first"), applies the writer's edit to the caught-up state with the pure rules, and
writes the participants, the state, its handoffs and the next run time. The batch engine,
which locks every rotation in one statement, shares `Locked` and `save()`.

This is the engine's hot path: a queue job's update is three statements (lock, read, save)
between BEGIN and COMMIT.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff import rotation
from handoff.grid import Grid
from handoff.store.queries import Queries

Engine = Literal["queue", "batch", "api"]
Q = Queries("state")
P = Queries("participants")


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    id: UUID
    user_id: UUID
    position: int
    user_name: str

    def core(self) -> rotation.Participant:
        return rotation.Participant(self.id, self.user_id)


@dataclass(frozen=True, slots=True)
class Locked:
    """A rotation as read under lock: its config, participants in order, and state."""

    id: UUID
    name: str
    type: str
    shift_length: int
    start: datetime
    time_zone: str
    grid_changed_at: datetime
    participants: list[ParticipantRow]
    state: rotation.State | None
    now: datetime  # the engine's clock (the database's), read under the lock
    description: str = ""

    def grid(self) -> Grid:
        """The rotation's grid; raises ValueError for a config written around validation."""
        return Grid(self.type, self.shift_length, self.start, self.time_zone)  # type: ignore[arg-type]

    def core_participants(self) -> list[rotation.Participant]:
        return [p.core() for p in self.participants]

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        participants: list[ParticipantRow],
        state: dict[str, Any],
        now: datetime,
    ) -> Locked:
        """Build from a rotation row and a row with the state's columns (all null: no state)."""
        shift_start: datetime | None = state["shift_start"]
        return cls(
            id=row["id"],
            name=row["name"],
            type=row["type"],
            shift_length=row["shift_length"],
            start=row["start_at"],
            time_zone=row["time_zone"],
            grid_changed_at=row["grid_changed_at"],
            participants=participants,
            state=None
            if shift_start is None
            else rotation.State(state["position"], state["participant_id"], shift_start),
            now=now,
            description=row.get("description", ""),
        )


async def lock(conn: AsyncConnection[Any], rotation_id: UUID) -> Locked | None:
    """Lock the rotation, its state and its schedule for this transaction, and read the clock.

    None if the rotation does not exist.
    """
    args = {"rotation_id": rotation_id}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["lock_rotation"], args)
        row = await cur.fetchone()
        if row is None:
            return None
        await cur.execute(Q["read_locked"], args)
        found = await cur.fetchone()
    assert found is not None
    participants = [
        ParticipantRow(*fields)
        for fields in zip(
            found["ids"], found["user_ids"], found["positions"], found["user_names"], strict=True
        )
    ]
    return Locked.from_row(row, participants, found, found["now"])


@dataclass(frozen=True, slots=True)
class Edit:
    """What a writer's rule decided on top of the caught-up rotation.

    `change` is the rule's outcome (its state and handoffs); `participants` the new list when
    the edit changed it (positions in order), and `grid` the new grid when it changed it.
    """

    change: rotation.Change
    participants: Sequence[ParticipantRow] | None = None
    grid: Grid | None = None


EditFn = Callable[[Locked], Awaitable[Edit]]


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: the rotation as locked (before), and every handoff it recorded."""

    locked: Locked
    change: rotation.Change


def catch_up(locked: Locked, *, strict: bool) -> rotation.Change:
    """Every boundary crossed since `shift_start`, by the rules (reconcile, then advance).

    A grid written around validation (an unknown zone put there by hand) cannot be advanced:
    the engine (`strict`) raises, so its job fails and retries alone; an edit proceeds
    without the advance, so that the edit that repairs the grid can be made.
    """
    try:
        grid = locked.grid()
    except ValueError:
        if strict:
            raise
        return rotation.reconcile(
            locked.state, locked.core_participants(), locked.grid_changed_at, locked.now
        )
    return rotation.update(
        grid, locked.state, locked.core_participants(), locked.grid_changed_at, locked.now
    )


async def write(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    edit: EditFn | None = None,
    *,
    engine: Engine = "api",
    job_id: int | None = None,
) -> Written | None:
    """Lock, catch up, apply `edit`, save and schedule, in one transaction (or savepoint).

    `edit` receives the rotation as locked with its state caught up to the clock, and may run
    statements of its own (validation reads, the rotation's config); what it raises rolls the
    whole write back. None if the rotation does not exist.
    """
    async with conn.transaction():
        locked = await lock(conn, rotation_id)
        if locked is None:
            return None
        caught = catch_up(locked, strict=engine != "api")
        current = replace(locked, state=caught.state)
        edited = await edit(current) if edit is not None else Edit(rotation.Change(caught.state))
        rows = locked.participants if edited.participants is None else edited.participants
        if edited.participants is not None:
            await write_participants(conn, locked, rows)
        change = rotation.Change(edited.change.state, caught.handoffs + edited.change.handoffs)
        await save(
            conn,
            locked,
            change,
            engine=engine,
            now=locked.now,
            next_run_at=_next_run_at(locked, edited.grid, change.state),
            job_id=job_id,
            participants=rows,
        )
    return Written(locked, change)


def _next_run_at(locked: Locked, grid: Grid | None, new: rotation.State | None) -> datetime | None:
    """The next handoff; at once for a grid that cannot be computed (its job fails alone)."""
    if grid is None:
        try:
            grid = locked.grid()
        except ValueError:
            return None if new is None else locked.now
    return rotation.next_run_at(grid, new)


async def write_participants(
    conn: AsyncConnection[Any], locked: Locked, rows: Sequence[ParticipantRow]
) -> None:
    """Make the stored list equal `rows`, touching only what differs."""
    old = {p.id: p for p in locked.participants}
    kept = [p for p in rows if p.id in old]
    added = [p for p in rows if p.id not in old]
    gone = [pid for pid in old if pid not in {p.id for p in rows}]
    args: dict[str, object] = {"rotation_id": locked.id}
    if gone:
        await conn.execute(P["delete_participants"], args | {"ids": gone})
    moved = [p for p in kept if old[p.id].position != p.position]
    if moved:
        await conn.execute(
            P["move_participants"],
            args | {"ids": [p.id for p in moved], "positions": [p.position for p in moved]},
        )
    if added:
        await conn.execute(
            P["insert_participants"],
            args
            | {
                "ids": [p.id for p in added],
                "user_ids": [p.user_id for p in added],
                "positions": [p.position for p in added],
            },
        )


async def record_failure(conn: AsyncConnection[Any], rotation_id: UUID, error: str) -> None:
    """Remember a failed update of the rotation (its own transaction rolled back)."""
    async with conn.transaction():
        await conn.execute(Q["record_failure"], {"rotation_id": rotation_id, "error": error})


async def save(
    conn: AsyncConnection[Any],
    locked: Locked,
    change: rotation.Change,
    *,
    engine: Engine,
    now: datetime,
    next_run_at: datetime | None,
    job_id: int | None = None,
    participants: Sequence[ParticipantRow] | None = None,
) -> None:
    """Write a change in one statement, within the caller's transaction.

    Writes the new state and its handoffs, and sets the rotation's next run time (the caller
    passes `rotation.next_run_at(grid, change.state)`), releasing it from `job_id`, the job
    that ran it, if any. `participants` is the list the change was computed against, when the
    caller changed it in this transaction; by default the list read under lock.
    """
    rows = locked.participants if participants is None else participants
    names = {p.id: p.user_name for p in [*locked.participants, *rows]}
    new = change.state
    handoffs = change.handoffs
    await conn.execute(
        Q["save"],
        {
            "rotation_id": locked.id,
            "write_state": new is not None and new != locked.state,
            "delete_state": new is None and locked.state is not None,
            "position": new.position if new else None,
            "participant_id": new.participant_id if new else None,
            "shift_start": new.shift_start if new else None,
            "processed_at": now,
            "engine": engine,
            "at": [h.at for h in handoffs],
            "cause": [h.cause for h in handoffs],
            "from_participant_id": [_id(h.from_participant) for h in handoffs],
            "to_participant_id": [h.to_participant.id for h in handoffs],
            "from_user_id": [_user(h.from_participant) for h in handoffs],
            "from_user_name": [
                names.get(h.from_participant.id) if h.from_participant else None for h in handoffs
            ],
            "to_user_id": [h.to_participant.user_id for h in handoffs],
            "to_user_name": [names.get(h.to_participant.id, "") for h in handoffs],
            "next_run_at": next_run_at,
            "job_id": job_id,
        },
    )


def _id(participant: rotation.Participant | None) -> UUID | None:
    return participant.id if participant else None


def _user(participant: rotation.Participant | None) -> UUID | None:
    return participant.user_id if participant else None
