"""Security headers on every response: API, pages, static files and errors alike.

`X-Content-Type-Options: nosniff` stops a browser from reading a JSON body or a text file as a
script or a page. The Content-Security-Policy allows scripts only from this service's own
files (no inline script, no other origin), loads nothing from other origins, and forbids
framing; styles may be inline (the timeline's widths are `style` attributes), and images may be
`data:` URLs (the API docs' icons). A route that sets its own policy keeps it.

Served over https (directly, or behind a trusted proxy that says so: handoff.http.server),
responses also carry `Strict-Transport-Security` with the setting `hsts_max_age_seconds`
(a year by default; 0 sends none), so a browser never comes back over plain http.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


HSTS = "Strict-Transport-Security"


def _hsts_max_age(scope: Scope) -> int:
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return int(getattr(settings, "hsts_max_age_seconds", 0))


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = dict(HEADERS)
        max_age = _hsts_max_age(scope)
        if scope.get("scheme") == "https" and max_age > 0:
            extra[HSTS] = f"max-age={max_age}"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
