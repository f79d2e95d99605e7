"""Per-request access to what the app holds: a pooled connection, the clock, the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff.clock import Clock
from handoff.config import Settings


def pool(request: Request) -> AsyncConnectionPool[Any]:
    result: AsyncConnectionPool[Any] = request.app.state.pool
    return result


async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    """One autocommit connection per request; store functions open their own transactions."""
    async with pool(request).connection() as conn:
        yield conn


def now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


def settings(request: Request) -> Settings:
    result: Settings = request.app.state.settings
    return result


Conn = Annotated[AsyncConnection[Any], Depends(connection)]
Now = Annotated[datetime, Depends(now)]
AppSettings = Annotated[Settings, Depends(settings)]
