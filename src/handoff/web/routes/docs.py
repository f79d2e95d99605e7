"""`/docs`: the API's OpenAPI document in Swagger UI, served from this machine.

The Swagger UI files come from the `swagger-ui-bundle` package (installed with handoff), not
from a CDN, so the page works offline; the page's only script of its own is
`/static/docs.js` (the Content-Security-Policy allows no inline script). Like
`/openapi.json`, the page needs no token: it describes the API and holds no data, and "Try it
out" asks for a token ("Authorize") before any call.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from handoff.store.errors import NotFound
from handoff.web.render import page
from handoff.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
}
CACHE = "public, max-age=86400"


@router.get("/docs")
async def docs(request: Request) -> Response:
    return page(request, "docs.html")


@router.get("/docs/assets/{name}")
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound("file", name)
    headers = {"Cache-Control": CACHE}
    return FileResponse(SWAGGER_UI / name, media_type=ASSETS[name], headers=headers)
