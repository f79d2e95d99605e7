"""Shifts, upcoming handoffs and who is on call: recorded history for the past, projection after.

Every projection comes from the pure core (`rotation.shifts` over the rotation's `Grid`), so
the API, the CLI and the calendar show exactly what the engine will do. The current shift is
projected from the stored state; it starts at the later of `shift_start` and the last recorded
handoff (a manual handoff passes the rest of a shift on without restarting it). Before that,
shifts are read from the recorded handoffs: each lasts until the next handoff.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff import rotation
from handoff.grid import Grid
from handoff.store import times
from handoff.store.errors import NotFound, invalid
from handoff.store.queries import Queries

Q = Queries("projections")
MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=7)
# A projection walks the grid shift by shift; this bounds the walk (2.3 years of hourly shifts).
MAX_PROJECTED_SHIFTS = 20_000
MAX_HANDOFFS = 50
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Shift:
    user_id: UUID
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class OnCall:
    rotation_id: UUID
    user_id: UUID
    shift_start: datetime
    shift_end: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    rotation_id: UUID
    grid: Grid | None
    participants: list[rotation.Participant]
    state: rotation.State | None
    current_start: datetime | None


async def snapshot(conn: AsyncConnection[Any], rotation_id: UUID) -> Snapshot:
    args = {"rotation_id": rotation_id}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["snapshot"], args)
        row = await cur.fetchone()
        if row is None:
            raise NotFound("rotation", rotation_id)
        await cur.execute(Q["participants"], args)
        members = [rotation.Participant(p["id"], p["user_id"]) for p in await cur.fetchall()]
    try:
        grid: Grid | None = Grid(
            row["type"], row["shift_length"], row["start_at"], row["time_zone"]
        )
    except ValueError:
        grid = None
    current: rotation.State | None = None
    current_start = None
    if row["participant_id"] is not None and members:
        current = rotation.State(row["position"], row["participant_id"], row["shift_start"])
        last = row["last_handoff_at"]
        current_start = max(current.shift_start, last) if last else current.shift_start
    return Snapshot(rotation_id, grid, members, current, current_start)


def _projected(snap: Snapshot, until: datetime, field: str) -> list[Shift]:
    if snap.state is None or snap.grid is None or snap.current_start is None:
        return []
    try:
        walked = rotation.shifts(
            snap.grid, snap.state, snap.participants, until, limit=MAX_PROJECTED_SHIFTS + 1
        )
    except ValueError as exc:
        raise invalid(field, str(exc)) from None
    if len(walked) > MAX_PROJECTED_SHIFTS:
        raise invalid(
            field,
            f"is too far ahead: at most {MAX_PROJECTED_SHIFTS} shifts of this rotation"
            " can be projected",
        )
    # Projected time starts where recorded time ends: at the current shift's recorded start.
    begin = snap.current_start
    return [Shift(p.user_id, max(start, begin), end) for p, start, end in walked if end > begin]


async def _recorded(
    conn: AsyncConnection[Any], snap: Snapshot, since: datetime, until: datetime
) -> list[Shift]:
    """Shifts from recorded handoffs before the current shift (their end is the next handoff)."""
    if snap.current_start is None:
        return []
    async with conn.cursor() as cur:
        await cur.execute(
            Q["recorded"],
            {
                "rotation_id": snap.rotation_id,
                "before": snap.current_start,
                "since": since,
                "until": until,
            },
        )
        rows = await cur.fetchall()
    if not rows:
        return []
    ends = [at for at, _ in rows[1:]] + [snap.current_start]
    return [Shift(user_id, at, end) for (at, user_id), end in zip(rows, ends, strict=True)]


def check_window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    since, until = times.check("since", since), times.check("until", until)
    if until <= since:
        raise invalid("until", "must be after since")
    if until - since > MAX_WINDOW:
        raise invalid("until", f"the window can be at most {MAX_WINDOW.days} days long")
    return since, until


async def shifts(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    since: datetime,
    until: datetime,
    *,
    field: str = "until",
) -> list[Shift]:
    """The shifts that overlap [since, until), oldest first."""
    since, until = check_window(since, until)
    snap = await snapshot(conn, rotation_id)
    past = await _recorded(conn, snap, since, until)
    future = await asyncio.to_thread(_projected, snap, until, field)
    return [s for s in [*past, *future] if s.start < s.end and s.start < until and s.end > since]


async def next_handoffs(
    conn: AsyncConnection[Any], rotation_id: UUID, count: int | None, *, now: datetime
) -> list[tuple[datetime, UUID]]:
    """The next `count` handoffs after now (default: one per participant) and who takes over."""
    snap = await snapshot(conn, rotation_id)
    if count is None:
        count = min(max(len(snap.participants), 1), MAX_HANDOFFS)
    if not 1 <= count <= MAX_HANDOFFS:
        raise invalid("count", f"must be between 1 and {MAX_HANDOFFS}")
    if snap.grid is None or snap.state is None:
        return []
    try:
        horizon = snap.grid.next_handoffs(now, count)[-1] + _INSTANT
    except ValueError as exc:
        raise invalid("count", str(exc)) from None
    future = await asyncio.to_thread(_projected, snap, horizon, "count")
    return [(s.start, s.user_id) for s in future if s.start > now][:count]


async def oncall(
    conn: AsyncConnection[Any],
    at: datetime,
    *,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
) -> list[OnCall]:
    """Who is on call at `at` in each rotation (or the one asked for), optionally one user's."""
    at = times.check("at", at)
    async with conn.cursor() as cur:
        await cur.execute(Q["rotation_ids"], {"rotation_id": rotation_id})
        ids = [row[0] for row in await cur.fetchall()]
    if rotation_id is not None and not ids:
        raise NotFound("rotation", rotation_id)
    result: list[OnCall] = []
    for rid in ids:
        for shift in await shifts(conn, rid, at, at + _INSTANT, field="at"):
            if user_id is None or shift.user_id == user_id:
                result.append(OnCall(rid, shift.user_id, shift.start, shift.end))
    return result
