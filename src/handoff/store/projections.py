"""Shifts, upcoming handoffs and who is on call: recorded history for the past, projection after.

api.md: the past is the recorded history, the future the projection, split at the request's
instant (the engine's clock, read with the inputs). The future comes from the pure core
(`handoff.oncall` over the rotation's `Inputs`, read for any number of rotations by one
statement, `handoff.store.inputs`), so the API, the CLI, the feeds and the calendar show
exactly what the engine will do. The past is read from the recorded timeline alone: each
shift lasts until the next recorded row, its person the one the row recorded as on call.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from handoff import oncall as core
from handoff.store import inputs, times
from handoff.store.errors import NotFound, StoreError, invalid
from handoff.store.pagination import Page, check_limit, decode, encode
from handoff.store.queries import Queries

Q = Queries("projections")
MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=7)
# The pieces one window may hold (a window is at most 366 days: 8,784 hourly shifts).
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
    turn_start: datetime | None = None  # projected pieces: when the own turn began


@dataclass(frozen=True, slots=True)
class OnCall:
    rotation_id: UUID
    user_id: UUID
    shift_start: datetime
    shift_end: datetime
    override_id: UUID | None = None


def _projected(
    reading: inputs.Reading, now: datetime, since: datetime, until: datetime, field: str
) -> list[Shift]:
    """The pieces of the effective timeline that overlap [since, until), from the request's
    instant on (before it is the record's), the last one whole (not cut at `until`); at
    least the piece in force at the request's instant. The projection starts at the window
    (core.segments skips the shifts before it), so a window far ahead is as cheap as today."""
    if reading.inputs.state is None or not _grid_ok(reading.inputs.config):
        return []  # a grid written around validation projects nothing
    # A window in the past still needs the piece in force now: the recorded shift it
    # continues ends where that piece ends.
    begin = max(since, now)
    until = max(until, begin + _INSTANT)
    try:
        found = core.segments(
            reading.inputs, begin, until, limit=MAX_PROJECTED_SHIFTS + 1, ends_by=times.LATEST
        )
    except ValueError as exc:
        raise invalid(field, str(exc)) from None
    if len(found) > MAX_PROJECTED_SHIFTS:
        raise invalid(
            field,
            f"is too far ahead: at most {MAX_PROJECTED_SHIFTS} shifts of this rotation"
            " can be projected",
        )
    return [Shift(s.user_id, max(s.start, now), s.end, s.override_id, s.turn_start) for s in found]


def _grid_ok(config: core.Config) -> bool:
    try:
        config.grid()
    except ValueError:
        return False
    return True


async def _recorded(
    conn: AsyncConnection[Any],
    rotation_ids: Sequence[UUID],
    since: datetime,
    until: datetime,
    now: datetime,
) -> dict[UUID, list[Shift]]:
    """The recorded shifts of each rotation before `now`, in one statement: each lasts until
    the next recorded row (the last one until `now`), its person the one the row recorded as
    on call after it. A window after `now` still gets the shift in force at `now`, whose
    start is the record's."""
    if not rotation_ids:
        return {}
    async with conn.cursor() as cur:
        await cur.execute(
            Q["recorded"],
            {"rotation_ids": list(rotation_ids), "before": now, "since": since, "until": until},
        )
        rows = await cur.fetchall()
    by_rotation: dict[UUID, list[tuple[datetime, UUID | None, UUID | None, bool]]] = {}
    for rotation_id, at, user_id, override_id, edge in rows:
        by_rotation.setdefault(rotation_id, []).append((at, user_id, override_id, edge))
    result: dict[UUID, list[Shift]] = {}
    for rotation_id, found in by_rotation.items():
        # Several rows at one instant (a boundary and an override edge): the last one says
        # who is on call from then on; an instant of override edges only that changed
        # neither who nor which override decides does not split (oncall.segments' rule).
        last: list[tuple[datetime, UUID | None, UUID | None]] = []
        for at, group in itertools.groupby(found, key=lambda r: r[0]):
            rows_at = list(group)
            _, user_id, override_id, _ = rows_at[-1]
            only_edges = all(r[3] for r in rows_at)
            if last and only_edges and last[-1][1:] == (user_id, override_id):
                continue
            last.append((at, user_id, override_id))
        ends = [r[0] for r in last[1:]] + [now]
        result[rotation_id] = [
            Shift(user_id, at, end, override_id)
            for (at, user_id, override_id), end in zip(last, ends, strict=True)
        ]
    return result


def _joined(past: list[Shift], future: list[Shift]) -> list[Shift]:
    """The record and the projection, split at the request's instant: the piece in force
    then is one shift when both sides agree on who and which override."""
    if past and future:
        last, first = past[-1], future[0]
        if (last.user_id, last.override_id, last.end) == (
            first.user_id,
            first.override_id,
            first.start,
        ):
            joined = Shift(last.user_id, last.start, first.end, last.override_id)
            return [*past[:-1], joined, *future[1:]]
    return [*past, *future]


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
    now: datetime | None = None,
) -> list[Shift]:
    """The shifts that overlap [since, until), oldest first (see `shifts_of` for `now`)."""
    found = await shifts_of(conn, [rotation_id], since, until, field=field, now=now)
    if rotation_id not in found:
        raise NotFound("rotation", rotation_id)
    result = found[rotation_id]
    if isinstance(result, StoreError):
        raise result
    return result


async def shifts_of(
    conn: AsyncConnection[Any],
    rotation_ids: Sequence[UUID] | None,
    since: datetime,
    until: datetime,
    *,
    field: str = "until",
    now: datetime | None = None,
) -> dict[UUID, list[Shift] | StoreError]:
    """The shifts of each rotation (None: all) that overlap [since, until), by name: the
    recorded history before the request's instant, the projection after (api.md), in two
    statements whatever the number of rotations. `now` is the request's instant when the
    caller has one (its "now" is where it splits, even a moment before the clock reading of
    the inputs); by default the engine's clock as read with the inputs. A rotation that
    cannot be projected has the error instead."""
    since, until = check_window(since, until)
    readings = await inputs.read(conn, rotation_ids)
    if not readings:
        return {}
    now = now or readings[0].now
    past = await _recorded(conn, [r.rotation_id for r in readings], since, until, now)
    # The projections, joins and windows are CPU work: off the event loop (issue 24), in one
    # trip to a worker thread for the whole page, not one per rotation (issue 25).
    return await asyncio.to_thread(_every_window, readings, past, now, since, until, field)


def _every_window(
    readings: Sequence[inputs.Reading],
    past: dict[UUID, list[Shift]],
    now: datetime,
    since: datetime,
    until: datetime,
    field: str,
) -> dict[UUID, list[Shift] | StoreError]:
    result: dict[UUID, list[Shift] | StoreError] = {}
    for reading in readings:
        try:
            recorded = past.get(reading.rotation_id, [])
            result[reading.rotation_id] = _windowed(reading, recorded, now, since, until, field)
        except StoreError as exc:
            result[reading.rotation_id] = exc
    return result


def _windowed(
    reading: inputs.Reading,
    recorded: list[Shift],
    now: datetime,
    since: datetime,
    until: datetime,
    field: str,
) -> list[Shift]:
    """One rotation's shifts in [since, until): the recorded past joined with the projection."""
    joined = _joined(recorded, _projected(reading, now, since, until, field))
    return [
        s for s in joined if s.start < s.end and s.start < until and s.end > since and not _gap(s)
    ]


def _gap(shift: Shift) -> bool:
    """Time with nobody on call that no override decides: outside the active hours, or
    before anyone took part (hours.md: a gap, not a shift)."""
    return shift.user_id is None and shift.override_id is None


async def next_handoffs(
    conn: AsyncConnection[Any], rotation_id: UUID, count: int | None, *, now: datetime
) -> list[tuple[datetime, UUID]]:
    """The next `count` handoffs after now (default: one per participant) and who takes over."""
    readings = await inputs.read(conn, [rotation_id])
    if not readings:
        raise NotFound("rotation", rotation_id)
    own = replace(readings[0].inputs, overrides=())  # overrides do not hand the rotation off
    if count is None:
        count = min(max(len(own.participants), 1), MAX_HANDOFFS)
    if not 1 <= count <= MAX_HANDOFFS:
        raise invalid("count", f"must be between 1 and {MAX_HANDOFFS}")
    if own.state is None or not _grid_ok(own.config):
        return []
    try:
        found = await asyncio.to_thread(_own_handoffs, own, now, count)
    except ValueError as exc:
        raise invalid("count", str(exc)) from None
    return found


def _own_handoffs(own: core.Inputs, now: datetime, count: int) -> list[tuple[datetime, UUID]]:
    """The rotation's own handoffs after `now` with the pending changes applied: its turn
    passes (core.turn_passes), outside active hours too."""
    return core.turn_passes(own, now, count)


@dataclass(frozen=True, slots=True)
class Effective:
    """Who is on call in a rotation now: the effective person, the rotation's own, and the
    override that decides, if one does."""

    user_id: UUID | None
    rotation_user_id: UUID | None
    override_id: UUID | None


def on_call_now(reading: inputs.Reading) -> Effective:
    """Who is on call in a rotation at the instant it was read, overrides and pending
    changes applied; nobody when its stored grid cannot be walked."""
    try:
        found = core.on_call_at(reading.inputs, reading.now)
    except ValueError:  # a grid written around validation
        found = None
    if found is None:
        return Effective(None, None, None)
    return Effective(found.user_id, found.rotation_user_id, found.override_id)


async def oncall_page(
    conn: AsyncConnection[Any],
    at: datetime,
    *,
    limit: int,
    cursor: str | None = None,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
    now: datetime | None = None,
) -> Page[OnCall]:
    """Who is on call at `at` in a page of rotations by name (`limit` rotations after the
    cursor's), in a fixed number of statements: the page's ids, their inputs and their record.

    With `user_id` the page runs over the rotations that person may be on call in at all (a
    participant, named by an override, added by a pending change, or on record), and keeps
    their entries only: a page holds at most `limit` items, and fewer where such a rotation
    has someone else on call then.
    """
    check_limit(limit)
    after = decode(cursor, str) or [None]
    async with conn.cursor() as cur:
        await cur.execute(
            Q["oncall_page"],
            {
                "rotation_id": rotation_id,
                "user_id": user_id,
                "after_name": after[0],
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    if rotation_id is not None and not rows:
        raise NotFound("rotation", rotation_id)
    more = len(rows) > limit
    rows = rows[:limit]
    found = (
        await oncall(conn, at, rotation_ids=[r[0] for r in rows], user_id=user_id, now=now)
        if rows
        else []
    )
    return Page(found, encode([rows[-1][1]]) if more else None)


async def rotations_of(conn: AsyncConnection[Any], user_id: UUID) -> list[UUID]:
    """The rotations `user_id` may be on call in at all, by name (`oncall_page`'s rule and
    statement, unpaged): what a person's report needs to read, whatever the other rotations."""
    async with conn.cursor() as cur:
        await cur.execute(
            Q["oncall_page"],
            {"rotation_id": None, "user_id": user_id, "after_name": None, "limit": None},
        )
        return [row[0] for row in await cur.fetchall()]


async def oncall(
    conn: AsyncConnection[Any],
    at: datetime,
    *,
    rotation_ids: Sequence[UUID] | None = None,
    user_id: UUID | None = None,
    now: datetime | None = None,
) -> list[OnCall]:
    """Who is on call at `at` in each of the given rotations (None: all), by rotation name,
    optionally one user's entries only."""
    at = times.check("at", at)
    if at + _INSTANT > times.LATEST:  # the window [at, at + an instant) must fit, for `at`
        raise invalid("at", f"must be before {times.LATEST:%Y-%m-%d}")
    found = await shifts_of(conn, rotation_ids, at, at + _INSTANT, field="at", now=now)
    result: list[OnCall] = []
    for rid, pieces in found.items():
        if isinstance(pieces, StoreError):
            raise pieces
        for shift in pieces:
            if shift.user_id is not None and user_id in (None, shift.user_id):
                result.append(OnCall(rid, shift.user_id, shift.start, shift.end, shift.override_id))
    return result
