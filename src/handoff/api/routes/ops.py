"""/healthz, /readyz and /metrics: for load balancers and Prometheus, no token needed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from psycopg_pool import PoolTimeout

from handoff.api import schemas, staffing
from handoff.api.deps import Conn, Now, pool
from handoff.api.problems import problem
from handoff.api.query import reject_unknown_query
from handoff.store import reports, status

router = APIRouter(
    tags=["operations"],
    dependencies=[Depends(reject_unknown_query)],
    responses={422: {"model": schemas.Problem, "description": "An unknown query parameter."}},
)
# A process that runs the engine is ready only if a worker checked in this recently.
ENGINE_CHECK_IN = timedelta(seconds=30)
# How long a scrape waits for a connection to read which rotations are unstaffed.
STAFFING_TIMEOUT_SECONDS = 2.0
_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": schemas.Problem, "description": "Not ready; `detail` says why."}
}


@router.get("/healthz")
async def healthz() -> schemas.Health:
    """200 while the process runs."""
    return schemas.Health(status="ok")


@router.get("/readyz", response_model=schemas.Health, responses=_NOT_READY)
async def readyz(request: Request, conn: Conn, now: Now) -> Any:
    """Ready when the database answers, its schema is current, and (in a process that runs the
    engine) the engine is running and a worker checked in within 30 seconds."""
    head: str = request.app.state.head_revision
    if await status.schema_revision(conn) != head:
        return problem(503, f"the schema is not current (expected revision {head})")
    engine = request.app.state.engine
    if engine is not None:
        if engine.done():
            return problem(503, "the engine has stopped")
        if not await status.worker_checked_in(conn, now - ENGINE_CHECK_IN):
            return problem(503, "no engine worker checked in within 30 seconds")
    return schemas.Health(status="ready")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format.",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: the engine's (when it runs here), the process's, which rotations
    have nobody on call (`handoff_rotation_unstaffed`) and when each schedule's next gap is
    (`handoff_schedule_next_gap_seconds`); the last two are left out while the database
    cannot answer, so the process's own metrics still come."""
    body = generate_latest(REGISTRY)
    try:
        async with pool(request).connection(timeout=STAFFING_TIMEOUT_SECONDS) as conn:
            body += staffing.exposition(
                await reports.unstaffed(conn), await reports.next_gaps(conn)
            )
    except (psycopg.Error, PoolTimeout):
        pass
    return Response(body, media_type=CONTENT_TYPE_LATEST)
