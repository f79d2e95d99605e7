"""The API's part of the application: its routers (`ROUTERS`) and what it installs on the app.

`handoff.http.app.create_app` mounts these beside the web UI's; a new API resource is one line in
`ROUTERS`. Every error becomes problem+json, and the OpenAPI document says what the API really
sends. (Request bodies are read whole, capped and within a deadline, for the API and the UI
alike: handoff.api.limits, installed by handoff.http.app.)
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from handoff.api import openapi, problems
from handoff.api.routes import audit as audit_routes
from handoff.api.routes import (
    changes,
    engine,
    feeds,
    ops,
    overrides,
    reports,
    rotations,
    schedule,
    schedules,
    swaps,
    tokens,
    users,
)
from handoff.api.routes import notify as notify_routes

ROUTERS: tuple[APIRouter, ...] = (
    ops.router,
    users.router,
    tokens.router,
    rotations.router,
    schedule.router,
    overrides.router,
    changes.router,
    feeds.router,
    engine.router,
    notify_routes.router,
    reports.router,
    swaps.router,
    audit_routes.router,
    schedules.router,
)


def install(app: FastAPI) -> None:
    """Problem+json for every error, and the adjusted OpenAPI document."""
    problems.install(app)
    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
