"""Shifts, upcoming handoffs and who is on call: recorded history for the past, projection after.

Every projection comes from the pure core (`handoff.oncall` over the rotation's config, state,
participants, overrides and pending scheduled changes), so the API, the CLI and the calendar
show exactly what the engine will do. The projection starts at the later of `shift_start` and
the last recorded change of the rotation's own person (a manual handoff passes the rest of a
shift on without restarting it). Before that, shifts are read from the recorded timeline: each
lasts until the next recorded row, and its person is the effective one (an override's person
while the row says an override decides).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff import oncall as core
from handoff import rotation
from handoff.store import changes, clock, overrides, rotations, times
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
    """A piece of the effective timeline: `user_id` None is nobody; `override_id` the
    override that decides who is on call, if one does."""

    user_id: UUID | None
    start: datetime
    end: datetime
    override_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class OnCall:
    rotation_id: UUID
    user_id: UUID
    shift_start: datetime
    shift_end: datetime
    override_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    rotation_id: UUID
    config: core.Config
    participants: list[rotation.Participant]
    state: rotation.State | None
    current_start: datetime | None
    overrides: list[core.Override]
    changes: list[core.ScheduledChange]


async def snapshot(conn: AsyncConnection[Any], rotation_id: UUID) -> Snapshot:
    args = {"rotation_id": rotation_id}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["snapshot"], args)
        row = await cur.fetchone()
        if row is None:
            raise NotFound("rotation", rotation_id)
        await cur.execute(Q["participants"], args)
        members = [rotation.Participant(p["id"], p["user_id"]) for p in await cur.fetchall()]
    config = core.Config(row["type"], row["shift_length"], row["start_at"], row["time_zone"])
    current: rotation.State | None = None
    current_start = None
    if row["participant_id"] is not None and members:
        current = rotation.State(row["position"], row["participant_id"], row["shift_start"])
        last = row["last_handoff_at"]
        current_start = max(current.shift_start, last) if last else current.shift_start
    covers = await overrides.for_projection(conn, rotation_id, current_start or times.EARLIEST)
    pending = await changes.for_projection(conn, rotation_id)
    return Snapshot(rotation_id, config, members, current, current_start, covers, pending)


def _projected(snap: Snapshot, since: datetime, until: datetime, field: str) -> list[Shift]:
    """The pieces of the effective timeline that overlap [since, until), whole, from where
    the recorded time ends (walked from there, so the walk is bounded by the limit)."""
    if snap.state is None or snap.current_start is None or not _grid_ok(snap.config):
        return []  # a grid written around validation projects nothing

    def walk(to: datetime, limit: int) -> list[core.Segment]:
        return core.segments(
            snap.config,
            snap.state,
            snap.participants,
            snap.overrides,
            snap.changes,
            snap.current_start or since,
            to,
            limit=limit,
        )

    try:
        clipped = walk(until, MAX_PROJECTED_SHIFTS + 1)
        if len(clipped) > MAX_PROJECTED_SHIFTS:
            raise invalid(
                field,
                f"is too far ahead: at most {MAX_PROJECTED_SHIFTS} shifts of this rotation"
                " can be projected",
            )
        # The same pieces again, the last one not cut at `until`.
        walked = walk(times.LATEST, len(clipped))
    except ValueError as exc:
        raise invalid(field, str(exc)) from None
    return [Shift(s.user_id, s.start, s.end, s.override_id) for s in walked if s.end > since]


def _grid_ok(config: core.Config) -> bool:
    try:
        config.grid()
    except ValueError:
        return False
    return True


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
    # Several rows at one instant (a boundary and an override edge): the last one says who is
    # on call from then on.
    last = [r for i, r in enumerate(rows) if i + 1 == len(rows) or rows[i + 1][0] != r[0]]
    ends = [r[0] for r in last[1:]] + [snap.current_start]
    return [
        Shift(user_id, at, end, override_id)
        for (at, user_id, override_id), end in zip(last, ends, strict=True)
    ]


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
    future = await asyncio.to_thread(_projected, snap, since, until, field)
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
    if snap.state is None or not _grid_ok(snap.config):
        return []
    try:
        found = await asyncio.to_thread(_own_handoffs, snap, now, count)
    except ValueError as exc:
        raise invalid("count", str(exc)) from None
    return found


def _own_handoffs(snap: Snapshot, now: datetime, count: int) -> list[tuple[datetime, UUID]]:
    """The rotation's own handoffs after `now` with the pending changes applied (overrides do
    not hand the rotation off): its boundaries, and the changes that move its person."""
    walked = core.events(
        snap.config,
        snap.state,
        snap.participants,
        (),
        snap.changes,
        now,
        times.LATEST,
        limit=count + len(snap.changes),
    )
    return [
        (e.at, e.to_user_id)
        for e in walked
        if e.to_user_id is not None and (e.cause == "boundary" or e.to_user_id != e.from_user_id)
    ][:count]


@dataclass(frozen=True, slots=True)
class Effective:
    """Who is on call in a rotation now: the effective person, the rotation's own, and the
    override that decides, if one does."""

    user_id: UUID | None
    rotation_user_id: UUID | None
    override_id: UUID | None


async def effective(
    conn: AsyncConnection[Any], found: Sequence[rotations.Rotation]
) -> dict[UUID, Effective]:
    """Who is on call now (the engine's clock) in each of the given rotations."""
    now = await clock.read(conn)
    covers = await overrides.in_force(conn, [r.id for r in found], now)
    return {r.id: _effective(r, covers.get(r.id, []), now) for r in found}


def _effective(view: rotations.Rotation, covers: list[core.Override], now: datetime) -> Effective:
    own = Effective(view.on_call_user_id, view.on_call_user_id, None)
    if view.active_index is None or view.shift_start is None:
        state = None
    else:
        active = view.participants[view.active_index]
        state = rotation.State(view.active_index, active.id, view.shift_start)
    config = core.Config(view.type, view.shift_length, view.start, view.time_zone)
    members = [rotation.Participant(p.id, p.user_id) for p in view.participants]
    try:
        found = core.on_call_at(config, state, members, covers, (), now)
    except ValueError:  # a grid written around validation: its own person, no projection
        return own
    if found is None:  # the state is newer than this clock reading
        return own
    return Effective(found.user_id, found.rotation_user_id, found.override_id)


async def oncall(
    conn: AsyncConnection[Any],
    at: datetime,
    *,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
) -> list[OnCall]:
    """Who is on call at `at` in each rotation (or the one asked for), optionally one user's."""
    at = times.check("at", at)
    if at + _INSTANT > times.LATEST:  # the window [at, at + an instant) must fit, for `at`
        raise invalid("at", f"must be before {times.LATEST:%Y-%m-%d}")
    async with conn.cursor() as cur:
        await cur.execute(Q["rotation_ids"], {"rotation_id": rotation_id})
        ids = [row[0] for row in await cur.fetchall()]
    if rotation_id is not None and not ids:
        raise NotFound("rotation", rotation_id)
    result: list[OnCall] = []
    for rid in ids:
        for shift in await shifts(conn, rid, at, at + _INSTANT, field="at"):
            if shift.user_id is not None and user_id in (None, shift.user_id):
                result.append(OnCall(rid, shift.user_id, shift.start, shift.end, shift.override_id))
    return result
