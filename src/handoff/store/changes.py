"""Scheduled changes: the fields of a PATCH, applied by the engine at `effective_at`.

A change is validated when created or edited against the rotation as it will be at its
instant: the current config and participants with every earlier pending change applied in
order, then this one (the grid must be valid, the participants must exist, `active_index` must
fall in the resulting list). The engine validates again when it applies the change; what has
become impossible by then is skipped and noted, never blocking the rotation. At most one change
per rotation and instant; a change whose instant has come (applied or about to be) is history
and cannot change. Writes go through the rotation's one write path (`state.write`: lock,
catch up, write, schedule the rotation's next run) in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb

from handoff import hours, oncall
from handoff.store import participants, rotations, state, text, times
from handoff.store.errors import Conflict, Errors, Invalid, NotFound
from handoff.store.overrides import check_rotation, minute, write
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("changes")
U = Queries("users")
_GRID_FIELDS = ("type", "shift_length", "start", "time_zone")
MAX_NOTE = 500
# A change's `active_hours` that sets the rotation to always active (the API's null; None
# leaves the hours as they are).
ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class Fields:
    """What a change sets; None leaves a field as it is. `participants` replaces the list."""

    type: str | None = None
    shift_length: int | None = None
    start: datetime | None = None
    time_zone: str | None = None
    participants: list[UUID] | None = None
    active_index: int | None = None
    active_hours: list[Any] | str | None = None  # windows as the API writes them, or ALWAYS
    turns: str | None = None

    def given(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


@dataclass(frozen=True, slots=True)
class Change:
    id: UUID
    rotation_id: UUID
    effective_at: datetime
    type: str | None
    shift_length: int | None
    start: datetime | None
    time_zone: str | None
    participants: list[UUID] | None
    active_index: int | None
    active_hours: list[Any] | str | None
    turns: str | None
    note: str
    applied_at: datetime | None
    skipped: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def changes(self) -> Fields:
        return Fields(
            self.type,
            self.shift_length,
            self.start,
            self.time_zone,
            self.participants,
            self.active_index,
            self.active_hours,
            self.turns,
        )

    def core(self) -> oncall.ScheduledChange:
        return oncall.ScheduledChange(
            self.id,
            self.effective_at,
            self.type,
            self.shift_length,
            self.start,
            self.time_zone,
            None if self.participants is None else tuple(self.participants),
            self.active_index,
            _core_hours(self.active_hours),
            self.turns,
        )

    def has_happened(self, now: datetime) -> bool:
        """Applied, or its instant has come (the engine is about to apply it)."""
        return self.applied_at is not None or self.effective_at <= now


def _core_hours(value: list[Any] | str | None) -> tuple[hours.Window, ...] | None:
    """A stored change's hours as the projection takes them: () sets always, None keeps."""
    if value is None:
        return None
    return () if value == ALWAYS else hours.parse_windows(value)


def _stored_hours(value: list[Any] | str | None) -> Jsonb | None:
    """The column's value: SQL NULL keeps the hours, JSON null sets always."""
    if value is None:
        return None
    return Jsonb(None if value == ALWAYS else value)


async def _check(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    effective_at: datetime,
    change: Fields,
    note: str,
    *,
    now: datetime,
    limit: int,
    exclude: UUID | None,
) -> tuple[datetime, Fields, str]:
    """Validate a change against the rotation as it will be at `effective_at` (lock held);
    every field at fault is reported."""
    errors = Errors()
    when = errors.take(lambda: minute(times.check("effective_at", effective_at)))
    if when is not None and when <= now:
        errors.add("effective_at", "must be in the future")
    if not change.given():
        errors.add("changes", "must change at least one field")
    checked = errors.take(lambda: text.check("note", note, max_length=MAX_NOTE, multiline=True))
    errors.raise_any()  # the rest is checked against the rotation as it will be at `when`
    assert when is not None and checked is not None
    config, listed = await _at(conn, rotation_id, when, change, exclude)
    # Every grid field has a value once applied (the rotation's own fills in what the change
    # leaves out); whether the values are valid is check_grid's to say.
    assert config.type is not None and config.shift_length is not None
    assert config.start is not None and config.time_zone is not None
    grid = None
    try:
        grid = rotations.check_grid(
            config.type, config.shift_length, config.start, config.time_zone
        )
    except Invalid as exc:
        for e in exc.errors:
            errors.add(f"changes.{e.field}", e.message)
    if change.active_hours not in (None, ALWAYS) or change.turns is not None:
        try:
            rotations.check_hours(
                None if change.active_hours == ALWAYS else change.active_hours,
                change.turns or "active",
            )
        except Invalid as exc:
            for e in exc.errors:
                errors.add(f"changes.{e.field}", e.message)
    if change.participants is not None:
        members = change.participants
        errors.take(lambda: participants.check_count(len(members), limit, "changes.participants"))
        await _existing(conn, members, errors)
    if change.active_index is not None and not 0 <= change.active_index < len(listed):
        errors.add(
            "changes.active_index",
            f"must be a position in the participant list at effective_at (0..{len(listed) - 1})"
            if listed
            else "the participant list at effective_at is empty",
        )
    errors.raise_any()
    assert grid is not None
    if change.start is not None:
        change = replace(change, start=grid.start)
    return when, change, checked


async def _at(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    when: datetime,
    change: Fields,
    exclude: UUID | None,
) -> tuple[Fields, list[UUID]]:
    """The rotation's grid fields and participant list once `change` applies at `when`: its
    current ones with every earlier pending change applied in order, then this one."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["rotation_config"], {"rotation_id": rotation_id})
        row = await cur.fetchone()
        assert row is not None  # the caller holds the rotation's lock
        await cur.execute(
            Q["pending_before"], {"rotation_id": rotation_id, "before": when, "exclude": exclude}
        )
        earlier = [Change(**r).changes for r in await cur.fetchall()]
    config = Fields(row["type"], row["shift_length"], row["start_at"], row["time_zone"])
    listed: list[UUID] = list(row["participants"])
    for before in [*earlier, change]:
        grid_fields = {k: v for k, v in before.given().items() if k in _GRID_FIELDS}
        config = replace(config, **grid_fields)
        listed = before.participants if before.participants is not None else listed
    return config, listed


async def _existing(conn: AsyncConnection[Any], user_ids: list[UUID], errors: Errors) -> None:
    """Every listed user exists; an unknown one is an error on its place in the list."""
    async with conn.cursor() as cur:
        await cur.execute(U["user_names"], {"ids": list(set(user_ids))})
        known = {row[0] for row in await cur.fetchall()}
    for index, user_id in enumerate(user_ids):
        if user_id not in known:
            errors.add(f"changes.participants.{index}", f"no user {user_id}")


async def _check_instant(
    conn: AsyncConnection[Any], rotation_id: UUID, effective_at: datetime, exclude: UUID | None
) -> None:
    async with conn.cursor() as cur:
        await cur.execute(
            Q["at_instant"],
            {"rotation_id": rotation_id, "effective_at": effective_at, "exclude": exclude},
        )
        row = await cur.fetchone()
    if row is not None:
        raise Conflict(
            f"scheduled change {row[0]} of the same rotation already takes effect at"
            f" {effective_at.isoformat()}"
        )


def _args(effective_at: datetime, change: Fields, note: str) -> dict[str, object]:
    return {
        "effective_at": effective_at,
        "type": change.type,
        "shift_length": change.shift_length,
        "start": change.start,
        "time_zone": change.time_zone,
        "participants": change.participants,
        "active_index": change.active_index,
        "active_hours": _stored_hours(change.active_hours),
        "turns": change.turns,
        "note": note,
    }


async def create(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    effective_at: datetime,
    change: Fields,
    note: str = "",
    *,
    limit: int,
) -> Change:
    """Schedule a change; `limit` is the participant-count limit."""
    made: list[Change] = []

    async def edit(locked: state.Locked) -> state.Edit:
        when, what, checked = await _check(
            conn, rotation_id, effective_at, change, note, now=locked.now, limit=limit, exclude=None
        )
        await _check_instant(conn, rotation_id, when, None)
        async with conn.cursor(row_factory=class_row(Change)) as cur:
            await cur.execute(
                Q["insert_change"],
                _args(when, what, checked) | {"rotation_id": rotation_id, "now": locked.now},
            )
            created = await cur.fetchone()
        assert created is not None
        made.append(created)
        return state.Edit.unchanged(locked, changes=_swapped(locked, created.id, created))

    await write(conn, rotation_id, edit)
    return made[0]


def _swapped(
    locked: state.Locked, change_id: UUID, new: Change | None
) -> tuple[oncall.ScheduledChange, ...]:
    """The rotation's pending changes with one replaced by `new` (None: removed), in order."""
    kept = [c for c in locked.changes if c.id != change_id]
    pending = kept if new is None else [*kept, new.core()]
    return tuple(sorted(pending, key=lambda c: c.effective_at))


async def get(conn: AsyncConnection[Any], rotation_id: UUID, change_id: UUID) -> Change:
    async with conn.cursor(row_factory=class_row(Change)) as cur:
        await cur.execute(Q["get_change"], {"id": change_id, "rotation_id": rotation_id})
        found = await cur.fetchone()
    if found is None:
        await check_rotation(conn, rotation_id)
        raise NotFound("scheduled change", change_id)
    return found


async def find(conn: AsyncConnection[Any], change_id: UUID) -> Change:
    """A change by id alone (the CLI's way of naming one)."""
    async with conn.cursor(row_factory=class_row(Change)) as cur:
        await cur.execute(Q["find_change"], {"id": change_id})
        found = await cur.fetchone()
    if found is None:
        raise NotFound("scheduled change", change_id)
    return found


async def list_changes(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    *,
    limit: int,
    cursor: str | None = None,
    pending: bool | None = None,
) -> Page[Change]:
    """A rotation's changes by instant: all, only pending, or only applied."""
    check_limit(limit)
    after = decode(cursor, datetime, UUID) or [None, None]
    await check_rotation(conn, rotation_id)
    async with conn.cursor(row_factory=class_row(Change)) as cur:
        await cur.execute(
            Q["list_changes"],
            {
                "rotation_id": rotation_id,
                "pending": pending,
                "after_at": after[0],
                "after_id": after[1],
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    return page(rows, limit, lambda c: (c.effective_at, c.id))


async def _pending(conn: AsyncConnection[Any], locked: state.Locked, change_id: UUID) -> Change:
    current = await get(conn, locked.id, change_id)
    if current.has_happened(locked.now):
        raise Conflict(f"scheduled change {change_id} has taken effect: it cannot change")
    return current


async def update(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    change_id: UUID,
    *,
    effective_at: datetime | None = None,
    change: Fields | None = None,
    note: str | None = None,
    limit: int,
) -> Change:
    """Edit a pending change; `change` replaces its fields as a whole."""
    done: list[Change] = []

    async def edit(locked: state.Locked) -> state.Edit:
        current = await _pending(conn, locked, change_id)
        when, what, checked = await _check(
            conn,
            rotation_id,
            current.effective_at if effective_at is None else effective_at,
            current.changes if change is None else change,
            current.note if note is None else note,
            now=locked.now,
            limit=limit,
            exclude=change_id,
        )
        await _check_instant(conn, rotation_id, when, change_id)
        async with conn.cursor(row_factory=class_row(Change)) as cur:
            await cur.execute(
                Q["update_change"],
                _args(when, what, checked) | {"id": change_id, "now": locked.now},
            )
            updated = await cur.fetchone()
        assert updated is not None
        done.append(updated)
        return state.Edit.unchanged(locked, changes=_swapped(locked, change_id, updated))

    await write(conn, rotation_id, edit)
    return done[0]


async def delete(conn: AsyncConnection[Any], rotation_id: UUID, change_id: UUID) -> None:
    async def edit(locked: state.Locked) -> state.Edit:
        await _pending(conn, locked, change_id)
        await conn.execute(Q["delete_change"], {"id": change_id})
        return state.Edit.unchanged(locked, changes=_swapped(locked, change_id, None))

    await write(conn, rotation_id, edit)
