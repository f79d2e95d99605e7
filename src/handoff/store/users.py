"""Users: the people who go on call. Deleting one applies the removal rule everywhere first."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store import (
    accounts,
    clock,
    lookup,
    overrides,
    participants,
    state,
    swaps,
    text,
)
from handoff.store.errors import Errors, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("users")
C = Queries("changes")
MAX_NAME = 200
MIN_EMAIL, MAX_EMAIL = 3, 320


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    name: str
    email: str | None
    time_zone: str | None
    role: str | None  # "admin" | "responder" | "reader"; None: cannot sign in
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Fields:
    """A person's fields as stored (checked together: a refusal names every field at fault)."""

    name: str
    email: str | None
    time_zone: str | None


def _checked(name: str, email: str | None, time_zone: str | None) -> Fields:
    errors = Errors()
    checked = errors.take(
        lambda: text.check("name", name, min_length=1, max_length=MAX_NAME, strip=True)
    )
    checked_email = None if email is None else errors.take(partial(_email, email))
    zone = None if time_zone is None else errors.take(partial(accounts.check_time_zone, time_zone))
    errors.raise_any()
    assert checked is not None
    return Fields(checked, checked_email, zone)


def _email(email: str) -> str:
    email = text.check("email", email, min_length=MIN_EMAIL, max_length=MAX_EMAIL, strip=True)
    if "@" not in email:
        raise invalid("email", "must be an email address")
    return email


async def create(
    conn: AsyncConnection[Any],
    name: str,
    email: str | None,
    *,
    now: datetime,
    time_zone: str | None = None,
) -> User:
    """Create a person; an email another person has is a Conflict naming them."""
    fields = _checked(name, email, time_zone)
    await accounts.check_email_free(conn, fields.email)
    async with accounts.email_unique(fields.email), conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(Q["insert_user"], {"now": now, **_params(fields)})
        user = await cur.fetchone()
    assert user is not None
    return user


def _params(fields: Fields) -> dict[str, Any]:
    return {"name": fields.name, "email": fields.email, "time_zone": fields.time_zone}


async def get(conn: AsyncConnection[Any], user_id: UUID) -> User:
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(Q["get_user"], {"id": user_id})
        user = await cur.fetchone()
    if user is None:
        raise NotFound("user", user_id)
    return user


async def find(conn: AsyncConnection[Any], name_or_id: str) -> User:
    """A user by id or by name (store.lookup: any case, suggestions); ambiguity is an error."""
    try:
        return await get(conn, UUID(name_or_id))
    except ValueError:
        pass
    text.check("user", name_or_id, max_length=MAX_NAME)
    return await get(conn, await lookup.by_name(conn, "user", name_or_id))


async def list_users(
    conn: AsyncConnection[Any], *, limit: int, cursor: str | None = None, q: str | None = None
) -> Page[User]:
    """A page of users by name; with `q` those whose name or email has it (the pickers'
    search; text no name can hold, a NUL say, matches nobody)."""
    check_limit(limit)
    if q and text.unstorable(q):
        return Page([], None)
    after = decode(cursor, str, UUID) or [None, None]
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            Q["list_users"],
            {
                "after_name": after[0],
                "after_id": after[1],
                "limit": limit + 1,
                "pattern": text.like(q) if q else None,
            },
        )
        rows = await cur.fetchall()
    return page(rows, limit, lambda u: (u.name, u.id))


async def get_many(conn: AsyncConnection[Any], user_ids: list[UUID]) -> list[User]:
    """Those of the given users who exist, by name, in one statement."""
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(Q["users_by_id"], {"ids": user_ids})
        return await cur.fetchall()


async def update(
    conn: AsyncConnection[Any],
    user_id: UUID,
    *,
    name: str | None = None,
    email: str | None = None,
    clear_email: bool = False,
    time_zone: str | None = None,
    clear_time_zone: bool = False,
) -> User:
    """Change what is given; `clear_*` removes the email or the zone."""
    current = await get(conn, user_id)
    fields = _checked(
        current.name if name is None else name,
        None if clear_email else (current.email if email is None else email),
        None if clear_time_zone else (current.time_zone if time_zone is None else time_zone),
    )
    await accounts.check_email_free(conn, fields.email, except_id=user_id)
    async with accounts.email_unique(fields.email), conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(Q["update_user"], {"id": user_id, **_params(fields)})
        user = await cur.fetchone()
    if user is None:
        raise NotFound("user", user_id)
    return user


async def delete(conn: AsyncConnection[Any], user_id: UUID) -> None:
    """Delete a user (oncall.md), in one transaction: every rotation they take part in or an
    override or pending change names is locked in id order, then each goes through the one
    write path (caught up first, so what is recorded starts from the rotation as it now is):
    the user leaves its participants by the removal rule, their future overrides go and
    those in force end now (`user_deleted`); ended overrides stay, as history; a swap they took
    whose cover has not begun is open again (or cancelled, with nothing left to cover). They
    leave every pending change's participant list."""
    async with conn.transaction():
        await get(conn, user_id)
        await accounts.keep_an_admin(conn, user_id)
        rotation_ids = await overrides.lock_user_rotations(conn, user_id)
        await conn.execute(C["drop_user"], {"user_id": user_id, "now": await clock.read(conn)})
        for rotation_id in rotation_ids:
            await state.write(conn, rotation_id, partial(_leave, conn, user_id))
        await conn.execute(Q["delete_user"], {"id": user_id})


async def _leave(conn: AsyncConnection[Any], user_id: UUID, locked: state.Locked) -> state.Edit:
    """The user leaves one rotation: its participants, its overrides, and the swaps they took
    (`swaps.release`, judged on the rotation as it is once they have left)."""
    taken = await swaps.taken_by(conn, locked.id, user_id)
    covers = await overrides.drop_user(conn, locked, user_id)
    left = participants.without_user(locked, user_id)
    assert left.participants is not None
    after = dataclasses.replace(
        locked, participants=list(left.participants), state=left.change.state, overrides=covers
    )
    await swaps.release(conn, taken, after)
    return dataclasses.replace(left, overrides=covers, ending="user_deleted")


async def names(conn: AsyncConnection[Any], user_ids: list[UUID]) -> dict[UUID, str]:
    """The names of those of the given users who still exist."""
    async with conn.cursor() as cur:
        await cur.execute(Q["user_names"], {"ids": user_ids})
        return {row[0]: row[1] for row in await cur.fetchall()}


async def contacts(
    conn: AsyncConnection[Any], user_ids: list[UUID]
) -> dict[UUID, tuple[str, str | None]]:
    """The names and emails of those of the given users who still exist."""
    async with conn.cursor() as cur:
        await cur.execute(Q["user_contacts"], {"ids": user_ids})
        return {row[0]: (row[1], row[2]) for row in await cur.fetchall()}
