"""The web UI: server-rendered pages (Jinja2 + htmx) over the same store as the API.

`ROUTERS` holds every page; `handoff.http.app.create_app` mounts them beside the API's routers,
so the UI runs in the API's process with its pool, clock and settings, and `install` gives
browsers an HTML page for an address that does not exist. No UI route is in the OpenAPI
document.
"""

from __future__ import annotations

from fastapi import APIRouter

from handoff.web.routes import (
    audit,
    calendar,
    docs,
    engine,
    forms,
    home,
    notifications,
    notifications_links,
    oidc,
    oncall,
    oncall_forms,
    people,
    person,
    reports,
    rotations,
    schedule_forms,
    schedules,
    signin,
    static,
    swaps,
)
from handoff.web.routing import install

router = APIRouter(include_in_schema=False)
# forms before rotations: /rotations/new must match before /rotations/{rotation_id}.
for _part in (
    signin,
    home,
    static,
    docs,
    forms,
    rotations,
    oncall_forms,
    oncall,
    people,
    person,
    calendar,
    engine,
    notifications,
    notifications_links,
    reports,
    swaps,
    audit,
    oidc,
    schedules,
    schedule_forms,
):
    router.include_router(_part.router)

ROUTERS = (router,)

__all__ = ["ROUTERS", "install", "router"]
