"""Per-request access to what the app holds (API and web UI alike): a pooled connection, the
engine's clock (read from the database), the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff.config import Settings
from handoff.store import audit, clock

# Requests that may write: their connection is audited as the caller's (store.audit).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def pool(request: Request) -> AsyncConnectionPool[Any]:
    result: AsyncConnectionPool[Any] = request.app.state.pool
    return result


async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    """One autocommit connection per request; store functions open their own transactions.
    It goes back to the pool acting for nobody."""
    async with pool(request).connection() as conn:
        try:
            yield conn
        finally:
            audit.act_as(conn, None)


def act_for(
    request: Request,
    conn: AsyncConnection[Any],
    via: audit.Via,
    *,
    name: str,
    user_id: UUID | None,
    token_id: UUID | None,
) -> None:
    """Audit a writing request's transactions as the caller's, naming the route it took."""
    if request.method in WRITE_METHODS:
        audit.act_as(conn, writer(request, via, name=name, user_id=user_id, token_id=token_id))


def writer(
    request: Request,
    via: audit.Via,
    *,
    name: str,
    user_id: UUID | None,
    token_id: UUID | None,
) -> audit.Writer:
    """The caller as the audit log names them, with the route the request took."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return audit.Writer(via, f"{request.method} {path}", name, user_id, token_id)


async def now(conn: Annotated[AsyncConnection[Any], Depends(connection)]) -> datetime:
    """The engine's clock (the database's), so that every answer agrees with the engine."""
    return await clock.read(conn)


def settings(request: Request) -> Settings:
    result: Settings = request.app.state.settings
    return result


Conn = Annotated[AsyncConnection[Any], Depends(connection)]
Now = Annotated[datetime, Depends(now)]
AppSettings = Annotated[Settings, Depends(settings)]
