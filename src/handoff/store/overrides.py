"""Overrides: someone else (or nobody) on call for a while, without moving the rotation.

The rules of oncall.md are checked under the rotation's row lock, so two writers cannot both
pass the overlap check: no two overrides of a rotation overlap; `end` is in the future when
created; at most `limit` overrides of a rotation have not ended; a future override can change
anything, one in force only its end (not to the past) and note, an ended one nothing. Times
are truncated to the minute. The database triggers enqueue the rotation's job in the same
transaction, so the engine records the override's edges at their instants.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff import oncall
from handoff.store import clock, text, times
from handoff.store.errors import Conflict, Errors, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("overrides")
C = Queries("changes")
U = Queries("users")
MAX_NOTE = 500
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Override:
    id: UUID
    rotation_id: UUID
    start: datetime
    end: datetime
    user_id: UUID | None
    replaces_user_id: UUID | None
    note: str
    created_at: datetime
    updated_at: datetime

    def core(self) -> oncall.Override:
        return oncall.Override(self.id, self.start, self.end, self.user_id, self.replaces_user_id)

    def phase(self, now: datetime) -> str:
        """`future`, `in force` or `ended` at `now` (one that starts right now is still future)."""
        if now <= self.start:
            return "future"
        return "in force" if now < self.end else "ended"


@dataclass(frozen=True, slots=True)
class Draft:
    """What a client sets: a new override, or every field of an edited one."""

    start: datetime
    end: datetime
    user_id: UUID | None
    replaces_user_id: UUID | None = None
    note: str = ""


def minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def ceil_minute(value: datetime) -> datetime:
    floor = minute(value)
    return floor if floor == value else floor + _MINUTE


async def _check(conn: AsyncConnection[Any], draft: Draft, now: datetime) -> Draft:
    """The draft with its times truncated to the minute; every field at fault is reported."""
    errors = Errors()
    start = errors.take(lambda: minute(times.check("start", draft.start)))
    end = errors.take(lambda: minute(times.check("end", draft.end)))
    if start is not None and end is not None and end <= start:
        errors.add("end", "must be after start")
    elif end is not None and end <= now:
        errors.add("end", "must be in the future")
    if draft.user_id is not None and draft.user_id == draft.replaces_user_id:
        errors.add("replaces_user_id", "must differ from user_id")
    named = {f: getattr(draft, f) for f in ("user_id", "replaces_user_id")}
    async with conn.cursor() as cur:
        await cur.execute(U["user_names"], {"ids": [u for u in named.values() if u is not None]})
        known = {row[0] for row in await cur.fetchall()}
    for field, user_id in named.items():
        if user_id is not None and user_id not in known:
            errors.add(field, f"no user {user_id}")
    note = errors.take(lambda: text.check("note", draft.note, max_length=MAX_NOTE, multiline=True))
    errors.raise_any()
    assert start is not None and end is not None and note is not None
    return replace(draft, start=start, end=end, note=note)


async def lock_rotation(conn: AsyncConnection[Any], rotation_id: UUID) -> datetime:
    """Take the rotation's row lock (the first lock of every writer), or 404; then read the
    engine's clock (the database's), so "now" is never earlier than the lock."""
    async with conn.cursor() as cur:
        await cur.execute(Q["lock_rotation"], {"rotation_id": rotation_id})
        if await cur.fetchone() is None:
            raise NotFound("rotation", rotation_id)
        return await clock.read(conn)


async def _check_overlap(
    conn: AsyncConnection[Any], rotation_id: UUID, draft: Draft, exclude: UUID | None
) -> None:
    async with conn.cursor() as cur:
        await cur.execute(
            Q["overlapping"],
            {
                "rotation_id": rotation_id,
                "start": draft.start,
                "end": draft.end,
                "exclude": exclude,
            },
        )
        row = await cur.fetchone()
    if row is not None:
        other, start, end = row
        raise Conflict(
            f"overlaps override {other} ({start.isoformat()} to {end.isoformat()})"
            " of the same rotation"
        )


async def create(
    conn: AsyncConnection[Any], rotation_id: UUID, draft: Draft, *, limit: int
) -> Override:
    """Create an override; `limit` is HANDOFF_MAX_OVERRIDES."""
    async with conn.transaction():
        now = await lock_rotation(conn, rotation_id)
        draft = await _check(conn, draft, now)
        async with conn.cursor() as cur:
            await cur.execute(Q["count_not_ended"], {"rotation_id": rotation_id, "now": now})
            row = await cur.fetchone()
        assert row is not None
        if row[0] >= limit:
            raise Conflict(f"the rotation already has {row[0]} overrides that have not ended")
        await _check_overlap(conn, rotation_id, draft, None)
        async with conn.cursor(row_factory=class_row(Override)) as cur:
            await cur.execute(
                Q["insert_override"], _args(draft) | {"rotation_id": rotation_id, "now": now}
            )
            created = await cur.fetchone()
    assert created is not None
    return created


def _args(draft: Draft) -> dict[str, object]:
    return {
        "start": draft.start,
        "end": draft.end,
        "user_id": draft.user_id,
        "replaces_user_id": draft.replaces_user_id,
        "note": draft.note,
    }


async def get(conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID) -> Override:
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q["get_override"], {"id": override_id, "rotation_id": rotation_id})
        found = await cur.fetchone()
    if found is None:
        await check_rotation(conn, rotation_id)
        raise NotFound("override", override_id)
    return found


async def check_rotation(conn: AsyncConnection[Any], rotation_id: UUID) -> None:
    """404 for the rotation itself when it is the rotation that is missing."""
    async with conn.cursor() as cur:
        await cur.execute(Q["rotation_exists"], {"rotation_id": rotation_id})
        if await cur.fetchone() is None:
            raise NotFound("rotation", rotation_id)


async def find(conn: AsyncConnection[Any], override_id: UUID) -> Override:
    """An override by id alone (the CLI's way of naming one)."""
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q["find_override"], {"id": override_id})
        found = await cur.fetchone()
    if found is None:
        raise NotFound("override", override_id)
    return found


async def list_overrides(
    conn: AsyncConnection[Any],
    *,
    limit: int,
    cursor: str | None = None,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[Override]:
    """Overrides by start overlapping [since, until); by default those not yet ended."""
    check_limit(limit)
    since = None if since is None else times.check("since", since)
    until = None if until is None else times.check("until", until)
    if since is not None and until is not None and until <= since:
        raise invalid("until", "must be after since")
    after = decode(cursor, datetime, UUID) or [None, None]
    if rotation_id is not None:
        await check_rotation(conn, rotation_id)
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(
            Q["list_overrides"],
            {
                "rotation_id": rotation_id,
                "user_id": user_id,
                "since": since,
                "until": until,
                "after_start": after[0],
                "after_id": after[1],
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    return page(rows, limit, lambda o: (o.start, o.id))


async def _locked(
    conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID
) -> tuple[Override, datetime]:
    """The override under its rotation's lock, and the engine's clock."""
    now = await lock_rotation(conn, rotation_id)
    return await get(conn, rotation_id, override_id), now


_FROZEN_IN_FORCE = ("start", "user_id", "replaces_user_id")


def _differs(old: Draft, field: str, value: Any) -> bool:
    if field == "start" and isinstance(value, datetime):
        return minute(value) != old.start
    return bool(value != getattr(old, field))


async def update(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    override_id: UUID,
    edit: dict[str, Any],
) -> Override:
    """Apply the fields in `edit` (Draft's names; a None value means nobody / unconditional)."""
    unknown = set(edit) - set(Draft.__dataclass_fields__)
    if unknown:
        raise invalid(sorted(unknown)[0], "is not a field of an override")
    async with conn.transaction():
        current, now = await _locked(conn, rotation_id, override_id)
        phase = current.phase(now)
        if phase == "ended":
            raise Conflict(f"override {override_id} has ended: it is history and cannot change")
        old = Draft(
            current.start, current.end, current.user_id, current.replaces_user_id, current.note
        )
        if phase == "in force":
            frozen = [f for f in _FROZEN_IN_FORCE if f in edit and _differs(old, f, edit[f])]
            if frozen:
                raise Conflict(
                    f"override {override_id} is in force: only its end and note can change"
                    f" (not {', '.join(frozen)})"
                )
        draft = await _check(conn, replace(old, **edit), now)
        await _check_overlap(conn, rotation_id, draft, override_id)
        async with conn.cursor(row_factory=class_row(Override)) as cur:
            await cur.execute(Q["update_override"], _args(draft) | {"id": override_id, "now": now})
            updated = await cur.fetchone()
    assert updated is not None
    return updated


async def delete(
    conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID
) -> Override | None:
    """Remove a future override (None), or end one in force now (the ended override)."""
    async with conn.transaction():
        current, now = await _locked(conn, rotation_id, override_id)
        phase = current.phase(now)
        if phase == "ended":
            raise Conflict(f"override {override_id} has ended: it is history and cannot be deleted")
        if phase == "future":
            await conn.execute(Q["delete_override"], {"id": override_id})
            return None
        return await _end(conn, current, now)


async def end(conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID) -> Override:
    """End an override in force now."""
    async with conn.transaction():
        current, now = await _locked(conn, rotation_id, override_id)
        phase = current.phase(now)
        if phase != "in force":
            what = "has ended" if phase == "ended" else "has not started: delete it instead"
            raise Conflict(f"override {override_id} {what}")
        return await _end(conn, current, now)


async def _end(conn: AsyncConnection[Any], current: Override, now: datetime) -> Override:
    """Times are whole minutes: "now" is the end of the current minute (never in the past)."""
    draft = Draft(
        current.start, ceil_minute(now), current.user_id, current.replaces_user_id, current.note
    )
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q["update_override"], _args(draft) | {"id": current.id, "now": now})
        ended = await cur.fetchone()
    assert ended is not None
    return ended


async def for_projection(
    conn: AsyncConnection[Any], rotation_id: UUID, since: datetime
) -> list[oncall.Override]:
    """The rotation's overrides that end after `since`, for the pure projection."""
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q["rotation_overrides"], {"rotation_id": rotation_id, "since": since})
        return [o.core() for o in await cur.fetchall()]


async def on_user_deleted(conn: AsyncConnection[Any], user_id: UUID) -> None:
    """What deleting a user does to overrides and pending changes (oncall.md), in the caller's
    transaction, before the user leaves their rotations.

    Locks every rotation concerned in id order first (one order for every writer). An override
    in force that names the user and decides who is on call ends now, recorded on the timeline
    as `user_deleted` (from the override's person to the rotation's own); every override naming
    the user goes; the user leaves every pending change's participant list.
    """
    async with conn.cursor() as cur:
        await cur.execute(Q["lock_user_rotations"], {"user_id": user_id})
        args = {"user_id": user_id, "now": await clock.read(conn)}
        await cur.execute(Q["record_user_deleted"], args)
        await cur.execute(Q["delete_user_overrides"], args)
        await cur.execute(C["drop_user"], args)


async def in_force(
    conn: AsyncConnection[Any], rotation_ids: list[UUID], at: datetime
) -> dict[UUID, list[oncall.Override]]:
    """The overrides of the given rotations in force at `at`, by rotation."""
    found: dict[UUID, list[oncall.Override]] = {}
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q["in_force"], {"ids": rotation_ids, "at": at})
        for o in await cur.fetchall():
            found.setdefault(o.rotation_id, []).append(o.core())
    return found
