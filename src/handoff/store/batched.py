"""The engine's batched write: a job's rotations in two round trips, one transaction each.

A queue job (up to a hundred rotations due at one instant in a storm) reads them all in one
statement without locks (`read`), lets the pure core catch each one up exactly as the locked
path would (`state.settle`), and writes each with the write path's own statement
(handoff_save_v1) in its own transaction, guarded by the versions read: it writes only if the
rotation's state and schedule rows are still as read (engine.md, "One rotation, one
transaction"). All those transactions are one call to the server (handoff_save_each_v1
commits after each rotation), so the worker waits for the database twice per job, not five
times per rotation.

Whatever this path does not take goes through the locked path (`state.write`) alone, after
it: a rotation changed since it was read, one whose catch-up applies a scheduled change or
changes its participants, grid or whether it runs, one the core cannot walk, and every
rotation of a batch whose call failed (the locked path is idempotent, so one that did
commit is only confirmed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff.store import state
from handoff.store.queries import Queries

Q = Queries("state")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A rotation as read without locks, with the versions (xmin) of its state and schedule
    rows, which its write checks."""

    locked: state.Locked
    versions: tuple[str, str]


@dataclass(frozen=True, slots=True)
class Plan:
    """A rotation caught up in the core, to be written by state, history and schedule alone."""

    snapshot: Snapshot
    settled: state.Settled

    @property
    def rotation_id(self) -> UUID:
        return self.snapshot.locked.id


async def read(conn: AsyncConnection[Any], rotation_ids: Sequence[UUID]) -> list[Snapshot]:
    """The rotations that have state and a schedule, in the order asked, read in one
    statement at one instant of the engine's clock."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["read_unlocked"], {"rotation_ids": list(rotation_ids)})
        found = await cur.fetchall()
    return [
        Snapshot(
            state.Locked.from_row(row, state.participant_rows(row), row, row["now"]),
            (row["state_version"], row["schedule_version"]),
        )
        for row in found
    ]


def plan(snapshot: Snapshot) -> Plan | None:
    """The rotation caught up to the clock, if writing it needs nothing but its state, its
    history and its schedule; None if it must take the locked path."""
    locked = snapshot.locked
    try:
        settled = state.settle(locked, strict=True)
    except ValueError:
        return None
    caught = settled.locked
    if (
        settled.applied
        or caught.state is None
        or caught.participants != locked.participants
        or caught.config() != locked.config()
    ):
        return None
    return Plan(snapshot, settled)


async def write(
    conn: AsyncConnection[Any], plans: Sequence[Plan], *, job_id: int | None
) -> dict[UUID, tuple[state.HistoryRow, ...]]:
    """Write each plan in its own transaction, all in one call (handoff_save_each_v1);
    returns the history rows of each rotation written, leaving out those changed since they
    were read.

    `conn` must be in autocommit (`handoff.store.db.autocommit`). Raises if any write failed:
    the transactions before it committed, the rest did not, and the caller cannot tell which,
    so it sends them all through the locked path.
    """
    if not plans:
        return {}
    saves = []
    for p in plans:
        caught = p.settled.locked
        saves.append(
            state.save_params(
                caught,
                p.settled.rows,
                engine="queue",
                write_state=caught.state != p.snapshot.locked.state,
                next_run_at=state.next_run_at(caught),
                job_id=job_id,
                versions=p.snapshot.versions,
            )
        )
    cur = await conn.execute(Q["save_each"], {"saves": json.dumps(saves)})
    row = await cur.fetchone()
    done = {UUID(r) for r in (row[0] if row else [])}
    return {p.rotation_id: p.settled.rows for p in plans if p.rotation_id in done}
