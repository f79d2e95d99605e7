"""`/docs`: the API's OpenAPI document in Swagger UI, served from this machine.

Swagger UI's files are vendored from the npm package swagger-ui-dist (web/static/swagger-ui,
with its licence; see web/static/NOTICE) and served from here, not from a CDN, so the page works
offline; the page's only script of its own is `/static/docs.js` (the Content-Security-Policy
allows no inline script). Swagger UI 5 reads OpenAPI 3.1, which FastAPI writes. Like
`/openapi.json`, the page needs no token: it describes the API and holds no data, and "Try it
out" asks for a token ("Authorize") before any call.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from handoff.store.errors import NotFound
from handoff.web.render import page
from handoff.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SWAGGER_UI = Path(__file__).parent.parent / "static" / "swagger-ui"
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
