"""The web UI: server-rendered pages (Jinja2 + htmx) over the same store as the API.

`router` holds every page; `create_app` includes it beside the API's routers, so the UI runs in
the API's process with its pool, clock and settings. No UI route is in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter

from handoff.web.routes import (
    calendar,
    engine,
    forms,
    oncall,
    people,
    person,
    rotations,
    signin,
    static,
)

router = APIRouter(include_in_schema=False)
# forms before rotations: /rotations/new must match before /rotations/{rotation_id}.
for _part in (signin, static, forms, rotations, oncall, people, person, calendar, engine):
    router.include_router(_part.router)

__all__ = ["router"]
