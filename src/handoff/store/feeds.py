"""Personal calendar feed tokens: a secret in a feed URL that reads one person's feed only.

Calendar clients cannot send headers, so the person page links to the feed with a token in the
URL. Such a URL gets copied into calendar apps and shared calendars, which is why it is its own
kind of token: it reads that person's shifts and nothing else, an admin can revoke it without
touching any API token, and, like API tokens, only its SHA-256 is stored, so the secret is shown
once, when it is made. A person has at most one live feed token; making one revokes the last.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store import tokens, users
from handoff.store.errors import Conflict, NotFound
from handoff.store.queries import Queries

Q = Queries("feeds")
PREFIX = "hfeed_"
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class FeedToken:
    id: UUID
    user_id: UUID
    created_at: datetime
    last_used_at: datetime | None


async def create(
    conn: AsyncConnection[Any], user_id: UUID, *, now: datetime
) -> tuple[FeedToken, str]:
    """A new feed token for the person and its secret (not stored); the old one is revoked."""
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    try:
        async with conn.transaction():
            await users.get(conn, user_id)
            await conn.execute(Q["revoke_live"], {"user_id": user_id, "now": now})
            async with conn.cursor(row_factory=class_row(FeedToken)) as cur:
                await cur.execute(
                    Q["insert_token"],
                    {"user_id": user_id, "token_hash": tokens.digest(secret), "now": now},
                )
                token = await cur.fetchone()
    except psycopg.errors.UniqueViolation:
        # Another request made this person's token at the same moment (one live per person).
        raise Conflict("a feed token for this person was made at the same moment") from None
    assert token is not None
    return token, secret


async def live(conn: AsyncConnection[Any], user_id: UUID) -> FeedToken | None:
    """The person's live feed token (without its secret), or None."""
    async with conn.cursor(row_factory=class_row(FeedToken)) as cur:
        await cur.execute(Q["live_token"], {"user_id": user_id})
        return await cur.fetchone()


async def revoke(conn: AsyncConnection[Any], user_id: UUID, *, now: datetime) -> None:
    """Revoke the person's live feed token; NotFound when they have none."""
    async with conn.transaction():
        await users.get(conn, user_id)
        async with conn.cursor() as cur:
            await cur.execute(Q["revoke_live"], {"user_id": user_id, "now": now})
            if await cur.fetchone() is None:
                raise NotFound("live feed token for user", user_id)


async def authenticate(
    conn: AsyncConnection[Any], user_id: UUID, secret: str, *, now: datetime
) -> FeedToken | None:
    """The person's live feed token with this secret, or None (also for another person's)."""
    if not secret.startswith(PREFIX) or len(secret) > tokens.MAX_TOKEN_LENGTH:
        return None
    async with conn.transaction(), conn.cursor(row_factory=class_row(FeedToken)) as cur:
        await cur.execute(
            Q["authenticate"],
            {"user_id": user_id, "token_hash": tokens.digest(secret), "now": now},
        )
        return await cur.fetchone()
