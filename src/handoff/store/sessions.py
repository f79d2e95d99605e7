"""Web UI sessions, server-side: a random secret in the browser, its SHA-256 here.

A session is opened with a valid API token, or by a person signing in as themselves, and then
stands for it (a person's session acts with their role as it is at each request): it ends
when the browser signs out (the row is deleted), when it has not been used for the idle
timeout, when it reaches its absolute lifetime, when its token is revoked, or when its person
loses their role or is deleted. The browser never holds the API
token itself, so a copied cookie is worth one session, not a token.

Failed sign-ins are recorded per client address for the UI's rate limit (`handoff.web.limit`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store.queries import Queries
from handoff.store.tokens import MAX_TOKEN_LENGTH, digest

Q = Queries("sessions")
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Signer:
    """Whom a session stands for: a token, or a person (user_id) with their role."""

    token_id: UUID | None
    user_id: UUID | None
    name: str
    role: str  # "admin" | "responder" | "reader"


@dataclass(frozen=True, slots=True)
class Expiry:
    idle: timedelta  # unused this long, a session ends
    lifetime: timedelta  # this long after sign-in, a session ends however busy

    def bounds(self, now: datetime) -> dict[str, datetime]:
        return {"idle_since": now - self.idle, "born_since": now - self.lifetime}


async def start(
    conn: AsyncConnection[Any],
    token_id: UUID | None,
    expiry: Expiry,
    *,
    now: datetime,
    user_id: UUID | None = None,
) -> str:
    """A new session's secret (for the cookie) for a token or a person, after deleting every
    session that has ended."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    args = {"secret_hash": digest(secret), "token_id": token_id, "user_id": user_id, "now": now}
    async with conn.transaction():
        await conn.execute(Q["purge_sessions"], expiry.bounds(now))
        await conn.execute(Q["insert_session"], args)
    return secret


async def authenticate(
    conn: AsyncConnection[Any], secret: str, expiry: Expiry, *, now: datetime
) -> Signer | None:
    """Whom the live session with this secret stands for, or None."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    params = {"secret_hash": digest(secret), "now": now, **expiry.bounds(now)}
    async with conn.transaction(), conn.cursor(row_factory=class_row(Signer)) as cur:
        await cur.execute(Q["authenticate_session"], params)
        return await cur.fetchone()


async def end(conn: AsyncConnection[Any], secret: str) -> None:
    if secret and len(secret) <= MAX_TOKEN_LENGTH:
        await conn.execute(Q["delete_session"], {"secret_hash": digest(secret)})


async def recent_failures(
    conn: AsyncConnection[Any], client: str, *, since: datetime
) -> list[datetime]:
    """A client's failed sign-ins after `since`, oldest first."""
    async with conn.cursor() as cur:
        await cur.execute(Q["recent_failures"], {"client": client, "since": since})
        return [row[0] for row in await cur.fetchall()]


async def record_failure(
    conn: AsyncConnection[Any], client: str, *, now: datetime, forget_before: datetime
) -> None:
    async with conn.transaction():
        await conn.execute(Q["purge_failures"], {"since": forget_before})
        await conn.execute(Q["insert_failure"], {"client": client, "now": now})
