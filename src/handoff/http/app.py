"""The application: `create_app` wires settings and the database pool, and mounts the API and
the web UI.

Routers come from lists (the API's `handoff.api.app.ROUTERS`, the UI's `handoff.web.ROUTERS`,
plus any the caller passes), so a new resource is one line in its own package. An optional
`engine_runner` runs the engine in the same event loop for the app's lifetime (`handoff up`);
/readyz then also checks that it is alive and checking in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp

from handoff import logs, web
from handoff.api import app as api_app
from handoff.api.limits import BodyLimit
from handoff.config import Settings
from handoff.http.headers import SecurityHeaders
from handoff.store import audit, db, migrate

EngineRunner = Callable[[asyncio.Event], Coroutine[Any, Any, None]]

POOL_TIMEOUT_SECONDS = 3.0  # a request waits this long for a connection, then gets a 503
CONNECT_TIMEOUT_SECONDS = 3
log = logs.Logger("handoff.http")


class App(FastAPI):
    """FastAPI with the security headers outermost, so even a 500 (answered by Starlette's
    outermost error middleware, outside any added middleware) carries them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def _pool(settings: Settings, url: str) -> AsyncConnectionPool[Any]:
    return AsyncConnectionPool(
        url,
        min_size=1,
        max_size=settings.pool_size,
        timeout=POOL_TIMEOUT_SECONDS,
        kwargs={
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            **db.connection_options(db.pooled(settings)),
        },
        check=AsyncConnectionPool.check_connection,
        connection_class=audit.Audited,
        open=False,
        name="handoff-api",
    )


async def _stop_engine(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    try:
        await task
    except Exception:
        log.exception("the engine stopped with an error")


def create_app(
    settings: Settings,
    url: str,
    *,
    engine_runner: EngineRunner | None = None,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = _pool(settings, url)
        await pool.open(wait=False)
        app.state.pool = pool
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        if engine_runner is not None:
            task = asyncio.create_task(engine_runner(stop), name="engine")
        app.state.engine = task
        try:
            yield
        finally:
            if task is not None:
                await _stop_engine(task, stop)
            await pool.close()

    app = App(
        title="handoff",
        version="1",
        description="On-call rotations that hand off exactly at the boundary.",
        lifespan=lifespan,
        docs_url=None,  # the UI serves /docs from local files (handoff.web.routes.docs)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.head_revision = migrate.head_revision()
    app.state.engine = None
    for router in (*api_app.ROUTERS, *web.ROUTERS, *routers):
        app.include_router(router)
    api_app.install(app)
    web.install(app)
    app.add_middleware(BodyLimit)  # every body whole before any route takes a connection
    return app
