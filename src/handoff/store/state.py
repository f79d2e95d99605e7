"""Load a rotation under lock, and write back what the pure rules decided.

Every writer of who-is-on-call (queue jobs, the batch engine, API and CLI edits) goes through
`lock()` and `save()`, so they serialise on the same rows in the same order (the rotation row,
then its state row) and record history the same way. This is the engine's hot path: a rotation
update is three statements (lock, read, save) between BEGIN and COMMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    @classmethod
    def from_row(
        cls, row: dict[str, Any], participants: list[ParticipantRow], state: dict[str, Any]
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
        )


async def lock(conn: AsyncConnection[Any], rotation_id: UUID) -> Locked | None:
    """Lock the rotation and its state for this transaction; None if it does not exist."""
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
    return Locked.from_row(row, participants, found)


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
