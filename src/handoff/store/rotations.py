"""Rotations: create, read, list, edit and delete, each edit through the pure rules.

`update` applies everything a PATCH may carry in one transaction, in a fixed order: a grid
edit (the person on call stays, their shift restarts now), then a new participant list (the
person on call stays if still listed), then `active_index` (hand the rest of the shift over).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from handoff import hours, oncall, rotation
from handoff.grid import GRID_TYPES, MAX_SHIFT_LENGTH, MIN_SHIFT_LENGTH, Grid, load_zone
from handoff.store import (
    clock,
    db,
    inputs,
    lookup,
    participants,
    projections,
    state,
    text,
    times,
)
from handoff.store.errors import Conflict, Errors, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("rotations")
MAX_NAME = 200
MAX_DESCRIPTION = 10_000


@dataclass(frozen=True, slots=True)
class ParticipantView:
    id: UUID
    position: int
    user_id: UUID


@dataclass(frozen=True, slots=True)
class Rotation:
    id: UUID
    name: str
    description: str
    type: str
    shift_length: int
    start: datetime
    time_zone: str
    participants: list[ParticipantView]
    active_index: int | None
    on_call_user_id: UUID | None  # the effective person now (oncall.md), overrides applied
    shift_start: datetime | None
    next_handoff: datetime | None
    created_at: datetime
    updated_at: datetime
    rotation_on_call_user_id: UUID | None = None  # the rotation's own on-call person
    override_id: UUID | None = None  # the override in force that decides, if one does
    active_hours: list[dict[str, object]] | None = None  # hours.md, as the API writes it
    turns: str = "active"

    def grid(self) -> Grid:
        return Grid(self.type, self.shift_length, self.start, self.time_zone)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Config:
    """A rotation's grid and its name and description: what create and PATCH may set."""

    name: str
    type: str
    start: datetime
    time_zone: str
    shift_length: int = 1
    description: str = ""
    active_hours: object = None  # the API's value (a list of windows, or None: always)
    turns: str = "active"


UNCHANGED = object()  # a Patch's `active_hours` when the PATCH does not set it


@dataclass(frozen=True, slots=True)
class Patch:
    """A PATCH: None means unchanged, except for `active_hours`, where None means always."""

    name: str | None = None
    description: str | None = None
    type: str | None = None
    shift_length: int | None = None
    start: datetime | None = None
    time_zone: str | None = None
    participants: list[UUID] | None = None
    active_index: int | None = None
    active_hours: object = UNCHANGED
    turns: str | None = None


_GRID_FIELDS = ("type", "shift_length", "time_zone", "start")


def check_grid(type_: str, shift_length: int, start: datetime, time_zone: str) -> Grid:
    """Build the grid, or report every field that is wrong (the grid's own messages)."""
    errors = Errors()
    if type_ not in GRID_TYPES:
        errors.add("type", f"must be one of {', '.join(GRID_TYPES)}")
    if isinstance(shift_length, int) and not MIN_SHIFT_LENGTH <= shift_length <= MAX_SHIFT_LENGTH:
        errors.add(
            "shift_length",
            f"shift_length must be between {MIN_SHIFT_LENGTH} and {MAX_SHIFT_LENGTH}, "
            f"got {shift_length}",
        )
    checked = errors.take(lambda: times.check("start", start))
    try:
        load_zone(time_zone)
    except ValueError as exc:
        errors.add("time_zone", str(exc))
    errors.raise_any()
    try:
        return Grid(type_, shift_length, checked or start, time_zone)  # type: ignore[arg-type]
    except ValueError as exc:
        message = str(exc)
        name = next((f for f in _GRID_FIELDS if message.startswith(f)), "start")
        raise invalid(name, message) from None


def check_hours(value: object, turns: object) -> tuple[hours.Window, ...] | None:
    """Active hours and turns as hours.md allows them, or every fault at once."""
    errors = Errors()
    found = None
    try:
        found = hours.parse_windows(value)
    except hours.HoursError as exc:
        for field_name, message in exc.faults:
            errors.add(field_name, message)
    if turns not in hours.TURNS:
        errors.add("turns", f"must be one of {', '.join(hours.TURNS)}, got {turns!r}")
    errors.raise_any()
    return found


def check_config(config: Config) -> tuple[Config, Grid]:
    """The config with its text normalized, and its grid; every field at fault is reported."""
    errors = Errors()
    windows = errors.take(lambda: check_hours(config.active_hours, config.turns))
    grid = errors.take(
        lambda: check_grid(config.type, config.shift_length, config.start, config.time_zone)
    )
    name = errors.take(
        lambda: text.check("name", config.name, min_length=1, max_length=MAX_NAME, strip=True)
    )
    description = errors.take(
        lambda: text.check(
            "description", config.description, max_length=MAX_DESCRIPTION, multiline=True
        )
    )
    errors.raise_any()
    assert grid is not None and name is not None and description is not None
    checked = Config(
        name=name,
        description=description,
        type=config.type,
        shift_length=config.shift_length,
        start=grid.start,
        time_zone=config.time_zone,
        active_hours=windows,
        turns=config.turns,
    )
    return checked, grid


def _windows(config: Config) -> tuple[hours.Window, ...] | None:
    """A checked config's windows (check_config leaves them parsed)."""
    assert config.active_hours is None or isinstance(config.active_hours, tuple)
    return config.active_hours


def core_config(config: Config) -> oncall.Config:
    """A checked config as the projection takes it."""
    return oncall.Config(
        config.type,
        config.shift_length,
        config.start,
        config.time_zone,
        _windows(config),
        config.turns,
    )


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a rotation named {name!r} already exists")


async def create(
    conn: AsyncConnection[Any],
    config: Config,
    user_ids: Sequence[UUID] = (),
    *,
    limit: int,
) -> Rotation:
    """Create a rotation; with participants, the first is on call at once."""
    config, _ = check_config(config)
    participants.check_count(len(user_ids), limit, "participants")
    async with conn.transaction():
        try:
            async with conn.cursor() as cur:
                await cur.execute(Q["insert_rotation"], _config_args(config))
                row = await cur.fetchone()
        except psycopg.errors.UniqueViolation:
            raise _name_taken(config.name) from None
        assert row is not None
        rotation_id: UUID = row[0]
        if user_ids:

            async def start(locked: state.Locked) -> state.Edit:
                names = await participants.user_names(conn, user_ids, "participants")
                rows = participants.rows_for([], user_ids, names)
                return state.Edit(rotation.start(participants.core(rows), locked.now), rows)

            await state.write(conn, rotation_id, start)
        return await get(conn, rotation_id, now=row[1])


def _config_args(config: Config) -> dict[str, object]:
    return {
        "name": config.name,
        "description": config.description,
        "type": config.type,
        "shift_length": config.shift_length,
        "start": config.start,
        "time_zone": config.time_zone,
        "active_hours": inputs.hours_json(_windows(config)),
        "turns": config.turns,
    }


def _members(row: dict[str, Any]) -> list[ParticipantView]:
    """The participants the row's statement read with it (JSON: [id, position, user_id])."""
    return [ParticipantView(UUID(p[0]), p[1], UUID(p[2])) for p in row["members"]]


def _next_handoff(row: dict[str, Any], now: datetime) -> datetime | None:
    """When the next turn begins after `now`: `rotation.next_handoff` without active hours,
    hours.next_pass after the state's shift start with them; None for a grid written around
    validation. Participants without state yet (written around the API) start now, as the
    engine will start them: a first shift."""
    try:
        config = inputs.config(row)
        state = inputs.state(row)
        if state is None:
            return rotation.first_boundary(config.grid(), now, first_shift=True)
        if config.active_hours is None:
            return rotation.next_handoff(config.grid(), state, now)
        passes = config.next_pass(state.shift_start, state.first_shift)
        while passes <= now:
            passes = config.next_pass(passes, False)
        return passes
    except ValueError:
        return None


async def _views(
    conn: AsyncConnection[Any], rows: Sequence[dict[str, Any]], now: datetime
) -> list[Rotation]:
    """The rotations of `rows`, each with who is on call now by the one projection (the
    inputs of all of them read in one statement)."""
    read = {r.rotation_id: r for r in await inputs.read(conn, [row["id"] for row in rows])}

    def build() -> list[Rotation]:
        return [
            _view(row, _members(row), now, projections.on_call_now(read[row["id"]]))
            for row in rows
            if row["id"] in read
        ]

    # A projection per rotation: off the event loop, where a long list would stall it.
    return await asyncio.to_thread(build)


def _view(
    row: dict[str, Any],
    members: list[ParticipantView],
    now: datetime,
    effective: projections.Effective,
) -> Rotation:
    on_call = next((p for p in members if p.id == row["participant_id"]), None)
    return Rotation(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        type=row["type"],
        shift_length=row["shift_length"],
        start=row["start_at"],
        time_zone=row["time_zone"],
        participants=members,
        active_index=on_call.position if on_call else None,
        on_call_user_id=effective.user_id,
        shift_start=row["shift_start"] if on_call else None,
        next_handoff=_next_handoff(row, now) if members else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        rotation_on_call_user_id=effective.rotation_user_id,
        override_id=effective.override_id,
        active_hours=inputs.as_json(row["active_hours"], None),
        turns=row["turns"],
    )


@contextlib.asynccontextmanager
async def _one_moment(conn: AsyncConnection[Any]) -> AsyncIterator[None]:
    """A rotation and who is on call in it are two reads: one snapshot, unless the caller's
    transaction (a write's) already holds what it reads."""
    if conn.info.transaction_status == TransactionStatus.IDLE:
        async with db.snapshot(conn):
            yield
    else:
        yield


async def get(conn: AsyncConnection[Any], rotation_id: UUID, *, now: datetime) -> Rotation:
    async with _one_moment(conn):
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["rotations_by_id"], {"ids": [rotation_id]})
            rows = await cur.fetchall()
        views = await _views(conn, rows, now)
    if not views:
        raise NotFound("rotation", rotation_id)
    return views[0]


async def get_many(
    conn: AsyncConnection[Any], rotation_ids: Sequence[UUID], *, now: datetime
) -> dict[UUID, Rotation]:
    """The given rotations that exist, by id, in a fixed number of statements."""
    async with _one_moment(conn):
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["rotations_by_id"], {"ids": list(rotation_ids)})
            rows = await cur.fetchall()
        views = await _views(conn, rows, now)
    return {v.id: v for v in views}


@dataclass(frozen=True, slots=True)
class Memberships:
    """Some of one person's rotations (`of_members`) and how many they are in altogether."""

    rotations: list[Rotation]
    total: int


async def of_members(
    conn: AsyncConnection[Any], user_ids: Sequence[UUID], *, now: datetime, shown: int
) -> dict[UUID, Memberships]:
    """At most `shown` rotations of each of these people, those the history records them on
    call in at `now` first, then by name, and the count of all of theirs (a page of people's
    memberships: a fixed number of statements, and a bounded read and projection whatever
    the number each is in). People in no rotation are left out."""
    async with _one_moment(conn):
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                Q["rotations_of_members"],
                {"user_ids": list(user_ids), "now": now, "shown": shown},
            )
            rows = await cur.fetchall()
        once = {row["id"]: row for row in rows}  # a rotation two of them are in: read once
        views = {v.id: v for v in await _views(conn, list(once.values()), now)}
    found: dict[UUID, Memberships] = {}
    for row in rows:
        theirs = found.setdefault(row["member"], Memberships([], row["total"]))
        if row["id"] in views:
            theirs.rotations.append(views[row["id"]])
    return found


async def find(conn: AsyncConnection[Any], name_or_id: str, *, now: datetime) -> Rotation:
    """A rotation by id or by name (store.lookup): how the CLI names rotations."""
    try:
        return await get(conn, UUID(name_or_id), now=now)
    except ValueError:
        pass
    text.check("rotation", name_or_id, max_length=MAX_NAME)
    return await get(conn, await lookup.by_name(conn, "rotation", name_or_id), now=now)


async def list_rotations(
    conn: AsyncConnection[Any],
    *,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    q: str | None = None,
    member: UUID | None = None,
) -> Page[Rotation]:
    """A page of rotations by name; `q` a name substring, `member` one participant's."""
    check_limit(limit)
    if q is not None:
        text.check("q", q, max_length=MAX_NAME)
    after = decode(cursor, str) or [None]
    async with _one_moment(conn):
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                Q["list_rotations"],
                {
                    "pattern": text.like(q) if q else None,
                    "member": member,
                    "after_name": after[0],
                    "limit": limit + 1,
                },
            )
            rows = await cur.fetchall()
        views = await _views(conn, rows, now)
    return page(views, limit, lambda r: (r.name,))


async def update(
    conn: AsyncConnection[Any], rotation_id: UUID, patch: Patch, *, limit: int
) -> Rotation:
    """Apply a PATCH through the write path (see the module docstring for the order)."""

    async def apply(locked: state.Locked) -> state.Edit:
        now = locked.now
        config, _ = check_config(
            Config(
                name=locked.name if patch.name is None else patch.name,
                description=locked.description if patch.description is None else patch.description,
                type=locked.type if patch.type is None else patch.type,
                shift_length=locked.shift_length
                if patch.shift_length is None
                else patch.shift_length,
                start=locked.start if patch.start is None else patch.start,
                time_zone=locked.time_zone if patch.time_zone is None else patch.time_zone,
                active_hours=hours.windows_json(locked.active_hours)
                if patch.active_hours is UNCHANGED
                else patch.active_hours,
                turns=locked.turns if patch.turns is None else patch.turns,
            )
        )
        edited = core_config(config)
        # Active hours and turns are grid fields (hours.md: a change of either is a grid edit).
        grid_changed = edited != locked.config()
        new_state = locked.state
        handoffs: list[rotation.Handoff] = []
        if grid_changed:
            new_state = rotation.edit_grid(new_state, now).state
        rows: Sequence[state.ParticipantRow] = locked.participants
        if patch.participants is not None:
            participants.check_count(len(patch.participants), limit, "participants")
            names = await participants.user_names(conn, patch.participants, "participants")
            new_rows = participants.rows_for(rows, patch.participants, names)
            change = rotation.replace_participants(
                new_state, participants.core(rows), participants.core(new_rows), now
            )
            new_state, rows = change.state, new_rows
            handoffs.extend(change.handoffs)
        if patch.active_index is not None:
            try:
                change = rotation.set_active(
                    new_state, participants.core(rows), patch.active_index, now
                )
            except rotation.RuleError as exc:
                raise invalid("active_index", str(exc)) from None
            new_state = change.state
            handoffs.extend(change.handoffs)
        try:
            await conn.execute(
                Q["update_rotation"],
                _config_args(config)
                | {"id": rotation_id, "grid_changed": grid_changed, "now": now},
            )
        except psycopg.errors.UniqueViolation:
            raise _name_taken(config.name) from None
        return state.Edit(
            rotation.Change(new_state, tuple(handoffs)),
            rows if patch.participants is not None else None,
            edited,
        )

    written = await state.write(conn, rotation_id, apply)
    if written is None:
        raise NotFound("rotation", rotation_id)
    return await get(conn, rotation_id, now=written.locked.now)


async def delete(conn: AsyncConnection[Any], rotation_id: UUID) -> None:
    """Delete a rotation, first taking it out of the schedules it is a layer of.

    The schedules' store (and their core) is imported here, the only place it is needed: a
    command that reads rotations (`handoff rotation list`) does not load it (issue 23)."""
    from handoff.store import schedules

    async with conn.transaction(), conn.cursor() as cur:
        await schedules.rotation_deleting(conn, rotation_id, await clock.read(conn))
        await cur.execute(Q["delete_rotation"], {"id": rotation_id})
        if await cur.fetchone() is None:
            raise NotFound("rotation", rotation_id)
