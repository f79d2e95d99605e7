"""Templates and the filters they share, so every page formats times and rotations alike."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Template
from markupsafe import Markup
from starlette.types import Receive, Scope, Send

from handoff.web import words
from handoff.web.csrf import FIELD, HEADER
from handoff.web.flash import FLASH_COOKIE, pending

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _iso(instant: datetime) -> str:
    """UTC with a Z, as the API writes times; the page's script turns it into local time."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _in_zone(instant: datetime, time_zone: str) -> str:
    """The rotation's wall clock; UTC for a zone this server does not know (stored by hand)."""
    try:
        return words.in_zone(instant, time_zone)
    except (KeyError, ValueError, OSError):
        return words.in_zone(instant, "UTC")


def _sentence(text: str) -> str:
    """A store message or a phrase as a sentence: capital first letter, one final period."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _lag_seconds(seconds: float) -> str:
    return words.format_lag(timedelta(seconds=seconds))


TEMPLATES.env.filters.update(
    iso=_iso,
    in_zone=_in_zone,
    lag=words.format_lag,
    lag_seconds=_lag_seconds,
    sentence=_sentence,
)
TEMPLATES.env.globals.update(csrf_field=FIELD, csrf_header=HEADER)


# Pages carry one-click write buttons and CSRF tokens: never framed (clickjacking), never cached.
# The Content-Security-Policy (frame-ancestors 'none' among it) is on every response:
# handoff.http.headers.
HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class _Page(HTMLResponse):
    """A template rendered as the response is sent, in a worker thread: rendered on the event
    loop, a long page (the report of 10,000 rotations, about a second) kept every other request
    of the process waiting that long (issue 24's probe, `handoff bench --scenario stall`)."""

    def __init__(
        self, template: Template, context: dict[str, Any], status_code: int, headers: dict[str, str]
    ) -> None:
        self.template, self.context = template, context
        super().__init__(None, status_code=status_code, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        html = await anyio.to_thread.run_sync(self.template.render, self.context)
        self.body = html.encode(self.charset)
        self.headers["content-length"] = str(len(self.body))
        await super().__call__(scope, receive, send)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A template as a response; a full page also shows (and so uses up) the pending message."""
    message = pending(request)
    response = _Page(
        TEMPLATES.get_template(name),
        {"request": request, "flash": message, **context},
        status_code,
        HEADERS,
    )
    if message is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def rendered(request: Request, name: str, **context: Any) -> tuple[Markup, str]:
    """A template as HTML to embed in a page, and its ETag: the hash of that HTML."""
    html = TEMPLATES.get_template(name).render(request=request, **context)
    return Markup(html), '"' + hashlib.sha256(html.encode()).hexdigest()[:32] + '"'


def live(request: Request, name: str, etag: str, **context: Any) -> Response:
    """A polled part of a page (`name` wraps content whose ETag is `etag`): 304 Not Modified
    while the browser already shows that content (If-None-Match), so nothing is replaced."""
    if request.headers.get("If-None-Match") == etag:
        return Response(status_code=304, headers={**HEADERS, "ETag": etag})
    response = page(request, name, **context)
    response.headers["ETag"] = etag
    return response
