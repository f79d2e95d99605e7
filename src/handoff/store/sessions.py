"""Web UI sessions, server-side: a random secret in the browser, its SHA-256 here.

A session is opened with a valid API token, or by a person signing in as themselves, and then
stands for it (a person's session acts with their role as it is at each request): it ends
when the browser signs out (the row is deleted), when it has not been used for the idle
timeout, when it reaches its absolute lifetime, when its token is revoked, or when its person
loses their role or is deleted. The browser never holds the API
token itself, so a copied cookie is worth one session, not a token.

Signing in and signing out are recorded in the audit log (`session.sign_in`, with how:
"token", "password" or "oidc"; `session.sign_out`) as the signer's, in the transaction that
opens or ends the session, when the connection acts for them (store.audit); the session is
named there by a digest of its stored hash, which opens nothing. A session that merely lapses
(idle, lifetime, a revoked token, a lost role) is no one's act and is not recorded: the
revocation or the role's loss is. Failed sign-ins are recorded per client address for the UI's
rate limit (`handoff.web.limit`), not in the audit log: they are nobody's write.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store import audit
from handoff.store.queries import Queries
from handoff.store.tokens import MAX_TOKEN_LENGTH, digest

Q = Queries("sessions")
SECRET_BYTES = 32
REF_CHARS = 16
Method = Literal["token", "password", "oidc"]  # how a session was opened


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
    method: Method,
    user_id: UUID | None = None,
) -> str:
    """A new session's secret (for the cookie) for a token or a person, opened by `method`,
    after deleting every session that has ended."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    args = {"secret_hash": digest(secret), "token_id": token_id, "user_id": user_id, "now": now}
    async with conn.transaction():
        await conn.execute(Q["purge_sessions"], expiry.bounds(now))
        await conn.execute(Q["insert_session"], args)
        signer = {"method": method} | _signer(token_id, user_id)
        await audit.record(conn, "session.sign_in", _ref(secret), None, signer)
    return secret


def _ref(secret: str) -> str:
    """A session's name in the audit log (its sign-in and sign-out alike): a digest of the
    hash kept here, so it can neither open the session nor be matched to its cookie."""
    return hashlib.sha256(digest(secret)).hexdigest()[:REF_CHARS]


def _signer(token_id: UUID | None, user_id: UUID | None) -> dict[str, str | None]:
    return {
        "token_id": None if token_id is None else str(token_id),
        "user_id": None if user_id is None else str(user_id),
    }


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
    """Sign out: the session is deleted, and its end recorded as the signer's."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(Q["delete_session"], {"secret_hash": digest(secret)})
        row = await cur.fetchone()
        if row is not None:
            token_id, user_id, created_at = row
            ended = _signer(token_id, user_id) | {"signed_in_at": created_at.isoformat()}
            await audit.record(conn, "session.sign_out", _ref(secret), ended, None)


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
