"""Local passwords for teams without an identity provider (people.md): Argon2id hashes through
argon2-cffi, never the password itself.

A person signs in with their email and password, and only while they have a role. Hashing
costs tens of milliseconds of CPU by design, so it runs in a worker thread, off the event
loop; an unknown email is checked against a dummy hash all the same, so the time taken does
not tell which emails exist.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection

from handoff.store.errors import invalid
from handoff.store.queries import Queries

Q = Queries("accounts")
MIN_LENGTH, MAX_LENGTH = 10, 1024
HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not anyone's password")


def check(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise invalid("password", f"must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    return password


async def set_password(
    conn: AsyncConnection[Any], user_id: UUID, password: str, *, now: datetime
) -> None:
    hashed = await asyncio.to_thread(HASHER.hash, check(password))
    await conn.execute(Q["set_password"], {"id": user_id, "hash": hashed, "now": now})


def _matches(hashed: str | None, password: str) -> bool:
    """Whether the password matches (None: nobody's, checked against a dummy hash anyway)."""
    try:
        return HASHER.verify(hashed or _dummy_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify(conn: AsyncConnection[Any], email: str, password: str) -> UUID | None:
    """The person with this email and password who may sign in, or None."""
    if not email or len(email) > MAX_LENGTH or len(password) > MAX_LENGTH:
        return None
    async with conn.cursor() as cur:
        await cur.execute(Q["password_of"], {"email": email})
        row = await cur.fetchone()
    ok = await asyncio.to_thread(_matches, row[1] if row is not None else None, password)
    return row[0] if ok and row is not None else None
