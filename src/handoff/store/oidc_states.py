"""Where a browser's pending OpenID Connect sign-in keeps its state, nonce and PKCE verifier
between leaving for the provider and coming back: authlib's cache interface, on the database
(so any process serving the UI can finish a sign-in another began, and a restart loses none).
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from handoff.store.queries import Queries

Q = Queries("oidc")


class StateCache:
    """`get`, `set` and `delete` as authlib's Starlette integration calls them."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool

    async def get(self, key: str) -> str | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(Q["get_state"], {"key": key})
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def set(self, key: str, value: str, expires_in: int) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(Q["set_state"], {"key": key, "value": value, "seconds": expires_in})

    async def delete(self, key: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(Q["delete_state"], {"key": key})
