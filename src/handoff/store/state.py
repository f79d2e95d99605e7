"""Load a rotation under lock, and write back what the pure rules decided.

Every writer of who-is-on-call (queue jobs, the batch engine, API and CLI edits) goes through
`lock()` and `save()`, so they serialise on the same rows in the same order (the rotation row,
then its state row) and record history the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def grid(self) -> Grid:
        """The rotation's grid; raises ValueError for a config written around validation."""
        return Grid(self.type, self.shift_length, self.start, self.time_zone)  # type: ignore[arg-type]

    def core_participants(self) -> list[rotation.Participant]:
        return [p.core() for p in self.participants]


async def lock(conn: AsyncConnection[Any], rotation_id: UUID) -> Locked | None:
    """Lock the rotation and its state for this transaction; None if it does not exist."""
    args = {"rotation_id": rotation_id}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["lock_rotation"], args)
        row = await cur.fetchone()
        if row is None:
            return None
        await cur.execute(Q["participants"], args)
        participants = [ParticipantRow(**p) for p in await cur.fetchall()]
        await cur.execute(Q["lock_state"], args)
        state_row = await cur.fetchone()
    state = rotation.State(**state_row) if state_row else None
    return Locked(
        id=row["id"],
        name=row["name"],
        type=row["type"],
        shift_length=row["shift_length"],
        start=row["start_at"],
        time_zone=row["time_zone"],
        grid_changed_at=row["grid_changed_at"],
        participants=participants,
        state=state,
    )


async def save(
    conn: AsyncConnection[Any],
    locked: Locked,
    change: rotation.Change,
    *,
    engine: Engine,
    now: datetime,
    participants: list[ParticipantRow] | None = None,
) -> None:
    """Write the new state and its handoffs (within the caller's transaction).

    `participants` is the list the change was computed against, when the caller changed it
    in this transaction; by default the list read under lock.
    """
    rows = locked.participants if participants is None else participants
    names = {p.id: p.user_name for p in [*locked.participants, *rows]}
    args: dict[str, object] = {"rotation_id": locked.id}
    if change.state is None:
        if locked.state is not None:
            await conn.execute(Q["delete_state"], args)
    elif change.state != locked.state:
        await conn.execute(
            Q["upsert_state"],
            args
            | {
                "position": change.state.position,
                "participant_id": change.state.participant_id,
                "shift_start": change.state.shift_start,
            },
        )
    if change.handoffs:
        async with conn.cursor() as cur:
            await cur.executemany(
                Q["insert_handoff"],
                [_handoff_args(locked.id, h, names, engine, now) for h in change.handoffs],
            )


def _handoff_args(
    rotation_id: UUID,
    handoff: rotation.Handoff,
    names: dict[UUID, str],
    engine: Engine,
    now: datetime,
) -> dict[str, object]:
    source, target = handoff.from_participant, handoff.to_participant
    return {
        "rotation_id": rotation_id,
        "at": handoff.at,
        "processed_at": now,
        "cause": handoff.cause,
        "engine": engine,
        "from_participant_id": source.id if source else None,
        "from_user_id": source.user_id if source else None,
        "from_user_name": names.get(source.id) if source else None,
        "to_participant_id": target.id,
        "to_user_id": target.user_id,
        "to_user_name": names.get(target.id, ""),
    }


async def reschedule(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    next_run_at: datetime | None,
    *,
    job_id: int | None = None,
) -> None:
    """Set the rotation's next run time and release it from `job_id` (the job that ran it).

    A different job that claimed the rotation meanwhile (a change enqueued while this one ran)
    keeps its claim and its due time, so it still runs.
    """
    await conn.execute(
        Q["reschedule"],
        {"rotation_id": rotation_id, "next_run_at": next_run_at, "job_id": job_id},
    )
