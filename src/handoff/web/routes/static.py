"""The UI's few static files, served by name from the package (no build step, no directory walk)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from handoff.store.errors import NotFound
from handoff.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
STATIC = Path(__file__).parent.parent / "static"
FILES = {
    "htmx.min.js": "text/javascript",
    "app.js": "text/javascript",
    "docs.js": "text/javascript",
    "calendar.js": "text/javascript",
    "app.css": "text/css",
    "favicon.ico": "image/vnd.microsoft.icon",
}
CACHE = "public, max-age=3600"


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    if name not in FILES:
        raise NotFound("file", name)
    return FileResponse(STATIC / name, media_type=FILES[name], headers={"Cache-Control": CACHE})


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    """Browsers ask for it at the root whatever the page links to."""
    return await static("favicon.ico")
