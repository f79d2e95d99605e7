"""What makes a person an account (people.md, reports.md): an email nobody else has (ignoring
case), an optional time zone of their own, and a role an admin sets (the last admin keeps
theirs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal
from uuid import UUID

import psycopg
from psycopg import AsyncConnection

from handoff.grid import load_zone
from handoff.store.errors import Conflict, NotFound, invalid
from handoff.store.queries import Queries

Q = Queries("accounts")
Role = Literal["admin", "responder", "reader"]
ROLES: tuple[Role, ...] = ("admin", "responder", "reader")


def check_role(role: str | None) -> Role | None:
    if role is None:
        return None
    for known in ROLES:
        if role == known:
            return known
    raise invalid("role", f"must be one of {', '.join(ROLES)} or null")


async def keep_an_admin(conn: AsyncConnection[Any], user_id: UUID) -> None:
    """Refuse (409) to take the last admin's role away (by a role change or by deleting them).

    Locks the admins until the caller's transaction ends, so two such changes cannot both
    pass."""
    async with conn.cursor() as cur:
        await cur.execute(Q["lock_admins"])
        admins = [row[0] for row in await cur.fetchall()]
    if admins == [user_id]:
        raise Conflict("this is the last admin: make someone else an admin first")


async def set_role(conn: AsyncConnection[Any], user_id: UUID, role: str | None) -> None:
    """Give a person a role (None: they cannot sign in); the last admin cannot lose theirs."""
    checked = check_role(role)
    async with conn.transaction(), conn.cursor() as cur:
        if checked != "admin":
            await keep_an_admin(conn, user_id)
        await cur.execute(Q["set_role"], {"id": user_id, "role": checked})
        if await cur.fetchone() is None:
            raise NotFound("user", user_id)
        if checked is None:
            await cur.execute(Q["revoke_person_tokens"], {"id": user_id})


def check_time_zone(time_zone: str) -> str:
    """An IANA zone name (the grid's one check), as stored."""
    try:
        load_zone(time_zone)
    except ValueError as exc:
        raise invalid("time_zone", str(exc).removeprefix("time_zone ")) from None
    return time_zone


async def check_email_free(
    conn: AsyncConnection[Any], email: str | None, *, except_id: UUID | None = None
) -> None:
    """Refuse (409) an email another person has, naming them.

    The unique index on lower(email) stays the guarantee when two writes race."""
    if email is None:
        return
    async with conn.cursor() as cur:
        await cur.execute(Q["email_owner"], {"email": email, "except_id": except_id})
        owner = await cur.fetchone()
    if owner is not None:
        raise Conflict(f"email {email!r} belongs to {owner[1]} ({owner[0]})")


async def owner_of(conn: AsyncConnection[Any], email: str) -> UUID:
    """The person who has this email, ignoring case (single sign-on finds people so)."""
    async with conn.cursor() as cur:
        await cur.execute(Q["email_owner"], {"email": email, "except_id": None})
        owner = await cur.fetchone()
    if owner is None:
        raise NotFound("user", email)
    return UUID(str(owner[0]))


@asynccontextmanager
async def email_unique(email: str | None) -> AsyncIterator[None]:
    """A write that lost the race for an email (the unique index refused it): a Conflict."""
    try:
        yield
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"email {email!r} belongs to another person") from None
