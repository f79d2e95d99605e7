"""API tokens: a random secret shown once; only its SHA-256 is stored.

Lookup is by the hash itself (a unique index), so no stored secret is ever compared byte by
byte with what a client sent and a constant-time comparison is not needed: timing can reveal at
most something about a hash, which tells nothing about any token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store import text
from handoff.store.errors import Conflict, NotFound, invalid
from handoff.store.queries import Queries

Q = Queries("tokens")
Role = Literal["admin", "reader"]
ROLES: tuple[Role, ...] = ("admin", "reader")
PREFIX = "hoff_"
SECRET_BYTES = 32
MAX_NAME = 200
# A token longer than this cannot be one of ours; refuse before hashing arbitrary input.
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Token:
    id: UUID
    name: str
    # A service token's own role, or its person's as it is now: "admin" | "responder" |
    # "reader" (None: a person's token while the person has no role; it does not sign in).
    role: str | None
    user_id: UUID | None  # the person the token acts as; None: a service token
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


async def create(
    conn: AsyncConnection[Any],
    name: str,
    role: str | None,
    *,
    now: datetime,
    user_id: UUID | None = None,
) -> tuple[Token, str]:
    """A new token and its secret; the secret is not stored and cannot be shown again.

    With `user_id` the token acts as that person with their role (`role` must be None);
    without, it is a service token with `role`."""
    name = text.check("name", name, min_length=1, max_length=MAX_NAME, strip=True)
    if user_id is not None and role is not None:
        raise invalid("role", "a person's token has the person's role")
    if user_id is None and role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    args = {
        "name": name,
        "role": role,
        "user_id": user_id,
        "token_hash": digest(secret),
        "now": now,
    }
    try:
        async with conn.transaction(), conn.cursor(row_factory=class_row(Token)) as cur:
            await cur.execute(Q["insert_token"], args)
            token = await cur.fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"a token named {name!r} already exists") from None
    assert token is not None
    return token, secret


async def authenticate(conn: AsyncConnection[Any], secret: str, *, now: datetime) -> Token | None:
    """The live token with this secret, or None."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    async with conn.transaction(), conn.cursor(row_factory=class_row(Token)) as cur:
        await cur.execute(Q["authenticate"], {"token_hash": digest(secret), "now": now})
        return await cur.fetchone()


async def list_tokens(conn: AsyncConnection[Any]) -> list[Token]:
    async with conn.cursor(row_factory=class_row(Token)) as cur:
        await cur.execute(Q["list_tokens"])
        return await cur.fetchall()


async def revoke(conn: AsyncConnection[Any], name: str, *, now: datetime) -> None:
    name = text.check("name", name, max_length=MAX_NAME)
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(Q["revoke_token"], {"name": name, "now": now})
        if await cur.fetchone() is None:
            raise NotFound("live token named", repr(name))
