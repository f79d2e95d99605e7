"""Per-request access to what the app holds (API and web UI alike): a pooled connection, the
engine's clock (read from the database), the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff.config import Settings
from handoff.store import clock


def pool(request: Request) -> AsyncConnectionPool[Any]:
    result: AsyncConnectionPool[Any] = request.app.state.pool
    return result


async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    """One autocommit connection per request; store functions open their own transactions."""
    async with pool(request).connection() as conn:
        yield conn


async def now(conn: Annotated[AsyncConnection[Any], Depends(connection)]) -> datetime:
    """The engine's clock (the database's), so that every answer agrees with the engine."""
    return await clock.read(conn)


def settings(request: Request) -> Settings:
    result: Settings = request.app.state.settings
    return result


Conn = Annotated[AsyncConnection[Any], Depends(connection)]
Now = Annotated[datetime, Depends(now)]
AppSettings = Annotated[Settings, Depends(settings)]
