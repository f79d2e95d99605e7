"""The API application: `create_app` wires settings, database pool, clock and routers.

Routers come from a list (`ROUTERS`, plus any the caller passes), so the web UI mounts into the
same app. An optional `engine_runner` runs the engine in the same event loop for the app's
lifetime (`handoff up`); /readyz then also checks that it is alive and checking in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from psycopg_pool import AsyncConnectionPool

from handoff.api import openapi, problems
from handoff.api.limits import BodyLimit
from handoff.api.routes import changes, engine, feeds, ops, overrides, rotations, schedule, users
from handoff.clock import Clock
from handoff.config import Settings
from handoff.store import migrate
from handoff.web import router as web_router

EngineRunner = Callable[[asyncio.Event], Coroutine[Any, Any, None]]

ROUTERS: tuple[APIRouter, ...] = (
    ops.router,
    users.router,
    rotations.router,
    schedule.router,
    feeds.router,
    overrides.router,
    changes.router,
    engine.router,
    web_router,
)
POOL_TIMEOUT_SECONDS = 3.0  # a request waits this long for a connection, then gets a 503
CONNECT_TIMEOUT_SECONDS = 3
log = structlog.get_logger("handoff.api")


def _pool(settings: Settings, url: str) -> AsyncConnectionPool[Any]:
    return AsyncConnectionPool(
        url,
        min_size=1,
        max_size=settings.pool_size,
        timeout=POOL_TIMEOUT_SECONDS,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
        check=AsyncConnectionPool.check_connection,
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
    clock: Clock,
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

    app = FastAPI(
        title="handoff",
        version="1",
        description="On-call rotations that hand off exactly at the boundary.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.head_revision = migrate.head_revision()
    app.state.engine = None
    for router in (*ROUTERS, *routers):
        app.include_router(router)
    problems.install(app)
    app.add_middleware(BodyLimit)
    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    return app
