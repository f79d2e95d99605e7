"""Overrides: someone else (or nobody) on call for a while, without moving the rotation.

Every write goes through the rotation's one write path (`state.write`): under its lock, with
the rotation caught up to the engine's clock, the rules of oncall.md are checked (no two
overrides of a rotation overlap; `end` is in the future when created; at most `limit` have
not ended; a future override can change anything, one in force only its end, not to the past,
and note, an ended one nothing), the row is written, and an override that comes into force or
stops deciding at this request is recorded at the request's instant in the same transaction.
Typed times are truncated to the minute; "now" is not: a start at or before now is now, and
ending now ends at the request's instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff import oncall
from handoff.store import state, text, times
from handoff.store.errors import Conflict, Errors, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("overrides")
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
        """`future`, `in force` or `ended` at `now` (one that starts right now is in force: it
        was recorded as started by the write that made it so)."""
        if now < self.start:
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


async def check(
    conn: AsyncConnection[Any], draft: Draft, now: datetime
) -> tuple[Draft, dict[UUID, str]]:
    """The draft with its times truncated to the minute (a start at or before `now` is `now`:
    the override comes into force at this request), and the names of the users it names;
    every field at fault is reported. A schedule's overrides follow the same rules."""
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
        known = {row[0]: row[1] for row in await cur.fetchall()}
    for field, user_id in named.items():
        if user_id is not None and user_id not in known:
            errors.add(field, f"no user {user_id}")
    note = errors.take(lambda: text.check("note", draft.note, max_length=MAX_NOTE, multiline=True))
    errors.raise_any()
    assert start is not None and end is not None and note is not None
    return replace(draft, start=max(start, now), end=end, note=note), known


async def write(conn: AsyncConnection[Any], rotation_id: UUID, edit: state.EditFn) -> None:
    """Run `edit` through the rotation's one write path (lock, catch up, apply, record what
    changed at `now`, schedule), or 404."""
    if await state.write(conn, rotation_id, edit) is None:
        raise NotFound("rotation", rotation_id)


async def check_overlap(
    conn: AsyncConnection[Any],
    overlapping: str,
    owner: Literal["rotation", "schedule"],
    owner_id: UUID,
    draft: Draft,
    exclude: UUID | None,
) -> None:
    """409 naming the first other override (not `exclude`) of the same rotation or schedule
    that the draft overlaps: `overlapping` is the owner's statement, taking `<owner>_id`."""
    async with conn.cursor() as cur:
        await cur.execute(
            overlapping,
            {
                f"{owner}_id": owner_id,
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
            f" of the same {owner}"
        )


async def create(
    conn: AsyncConnection[Any], rotation_id: UUID, draft: Draft, *, limit: int
) -> Override:
    """Create an override; `limit` is HANDOFF_MAX_OVERRIDES."""
    made: list[Override] = []

    async def edit(locked: state.Locked) -> state.Edit:
        override, added = await add(conn, locked, draft, limit=limit)
        made.append(override)
        return added

    await write(conn, rotation_id, edit)
    return made[0]


async def add(
    conn: AsyncConnection[Any], locked: state.Locked, draft: Draft, *, limit: int
) -> tuple[Override, state.Edit]:
    """Create an override within a write of its rotation (`locked`): the override, and the
    edit that records it (a swap taken makes its override this way, in its own write)."""
    checked, names = await check(conn, draft, locked.now)
    async with conn.cursor() as cur:
        await cur.execute(Q["count_not_ended"], {"rotation_id": locked.id, "now": locked.now})
        row = await cur.fetchone()
    assert row is not None
    if row[0] >= limit:
        raise Conflict(f"the rotation already has {row[0]} overrides that have not ended")
    await check_overlap(conn, Q["overlapping"], "rotation", locked.id, checked, None)
    made = await _written(conn, "insert_override", checked, locked.id, locked.now)
    covers = (*locked.overrides, made.core())
    return made, state.Edit.unchanged(locked, overrides=covers, names=names)


async def remove_future(
    conn: AsyncConnection[Any], locked: state.Locked, override_id: UUID
) -> state.Edit:
    """Delete an override that has not started, within a write of its rotation (a taken swap
    cancelled in time); the edit that records it."""
    await conn.execute(Q["delete_override"], {"id": override_id})
    return state.Edit.unchanged(locked, overrides=_swapped(locked, override_id, None))


async def _written(
    conn: AsyncConnection[Any], query: str, draft: Draft, id_: UUID, now: datetime
) -> Override:
    """Insert (`id_` the rotation's) or update (`id_` the override's) an override's row."""
    key = "rotation_id" if query == "insert_override" else "id"
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q[query], args(draft) | {key: id_, "now": now})
        found = await cur.fetchone()
    assert found is not None
    return found


def _swapped(
    locked: state.Locked, override_id: UUID, new: Override | None
) -> tuple[oncall.Override, ...]:
    """The rotation's overrides with one replaced by `new` (None: removed)."""
    kept = tuple(o for o in locked.overrides if o.id != override_id)
    return kept if new is None else (*kept, new.core())


def args(draft: Draft) -> dict[str, object]:
    """The draft as a statement's parameters (a schedule override's row has the same)."""
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


async def get_many(
    conn: AsyncConnection[Any], rotation_id: UUID, override_ids: Sequence[UUID]
) -> dict[UUID, Override]:
    """The given overrides of a rotation that are still stored, by id, in one statement."""
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(
            Q["overrides_by_id"], {"ids": list(override_ids), "rotation_id": rotation_id}
        )
        return {o.id: o for o in await cur.fetchall()}


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


_FROZEN_IN_FORCE = ("start", "user_id", "replaces_user_id")


def _differs(old: Draft, field: str, value: Any) -> bool:
    if field == "start" and isinstance(value, datetime):
        return old.start not in (value, minute(value))
    return bool(value != getattr(old, field))


async def update(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    override_id: UUID,
    edit: dict[str, Any],
) -> Override:
    """Apply the fields in `edit` (Draft's names; a None value means nobody / unconditional).
    A future override edited so that it starts at or before now comes into force now."""
    unknown = set(edit) - set(Draft.__dataclass_fields__)
    if unknown:
        raise invalid(sorted(unknown)[0], "is not a field of an override")
    done: list[Override] = []

    async def apply(locked: state.Locked) -> state.Edit:
        current = await get(conn, rotation_id, override_id)
        phase = current.phase(locked.now)
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
        draft, names = await check(conn, replace(old, **edit), locked.now)
        if phase == "in force":
            draft = replace(draft, start=current.start)
        await check_overlap(conn, Q["overlapping"], "rotation", rotation_id, draft, override_id)
        done.append(await _written(conn, "update_override", draft, override_id, locked.now))
        return state.Edit.unchanged(
            locked, overrides=_swapped(locked, override_id, done[0]), names=names
        )

    await write(conn, rotation_id, apply)
    return done[0]


async def delete(
    conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID
) -> Override | None:
    """Remove a future override (None), or end one in force now (the ended override)."""
    return await _finish(conn, rotation_id, override_id, delete_future=True)


async def end(conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID) -> Override:
    """End an override in force now."""
    ended = await _finish(conn, rotation_id, override_id, delete_future=False)
    assert ended is not None
    return ended


async def _finish(
    conn: AsyncConnection[Any], rotation_id: UUID, override_id: UUID, *, delete_future: bool
) -> Override | None:
    """End an override in force at the request's instant (not rounded: minutes are for the
    times people type, oncall.md), or delete a future one when `delete_future`."""
    done: list[Override | None] = []

    async def apply(locked: state.Locked) -> state.Edit:
        current = await get(conn, rotation_id, override_id)
        phase = current.phase(locked.now)
        if phase == "ended":
            why = ": it is history and cannot be deleted" if delete_future else ""
            raise Conflict(f"override {override_id} has ended{why}")
        if phase == "future":
            if not delete_future:
                raise Conflict(f"override {override_id} has not started: delete it instead")
            await conn.execute(Q["delete_override"], {"id": override_id})
            done.append(None)
        else:
            ended = await _end_now(conn, current, locked.now)
            done.append(replace(current, end=locked.now) if ended is None else ended)
            return state.Edit.unchanged(locked, overrides=_swapped(locked, override_id, ended))
        return state.Edit.unchanged(locked, overrides=_swapped(locked, override_id, None))

    await write(conn, rotation_id, apply)
    return done[0]


async def _end_now(conn: AsyncConnection[Any], current: Override, now: datetime) -> Override | None:
    """End an override in force at `now`; one that came into force at this very instant
    goes instead (start < end), its start and end recorded at the same instant."""
    if current.start >= now:
        await conn.execute(Q["delete_override"], {"id": current.id})
        return None
    draft = Draft(current.start, now, current.user_id, current.replaces_user_id, current.note)
    return await _written(conn, "update_override", draft, current.id, now)


async def lock_user_rotations(conn: AsyncConnection[Any], user_id: UUID) -> list[UUID]:
    """Lock, in id order (one order for every writer), every rotation a user about to be
    deleted takes part in or an override or a pending change of which names them."""
    async with conn.cursor() as cur:
        await cur.execute(Q["lock_user_rotations"], {"user_id": user_id})
        return [row[0] for row in await cur.fetchall()]


async def drop_user(
    conn: AsyncConnection[Any], locked: state.Locked, user_id: UUID
) -> tuple[oncall.Override, ...]:
    """What deleting a user does to a rotation's overrides (oncall.md), within its write:
    those that name them and have not started go, those in force end now; ended ones are
    history and stay. Returns the rotation's overrides after it."""
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(
            Q["user_overrides_not_ended"],
            {"rotation_id": locked.id, "user_id": user_id, "now": locked.now},
        )
        named = await cur.fetchall()
    kept = {o.id: o for o in locked.overrides}
    for o in named:
        kept.pop(o.id, None)
        if o.phase(locked.now) == "future":
            await conn.execute(Q["delete_override"], {"id": o.id})
        elif (ended := await _end_now(conn, o, locked.now)) is not None:
            kept[o.id] = ended.core()
    return tuple(kept.values())
