"""How uvicorn serves the app: which proxies it believes, and how long it waits for headers.

- `X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the addresses of the setting
  `trusted_proxies` (HANDOFF_TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16); by default from none, so a
  local client cannot pick the address the sign-in limit counts by sending the header. Behind a
  trusted proxy the scheme it names is the request's: the cookies' Secure flag and HSTS follow.
- A client must send its request line and headers within `header_timeout_seconds` of
  connecting (or of the previous response, on a kept-alive connection); else the connection is
  closed. uvicorn has no such deadline of its own: a client sending a header a byte at a time
  would hold its connection for ever. (Bodies have their deadline in handoff.api.limits.)
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from handoff.config import Settings

# The line a server prints once it listens, with the port it bound: with --port 0 the only way
# to learn it, so that no caller has to guess a free port (which another process may take).
LISTENING = "handoff is at {url}"
LISTENING_LINE = re.compile(r"^handoff is at (http://\S+?)/?$", re.MULTILINE)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config's arguments for the proxies and the header deadline."""
    proxies = ",".join(settings.trusted_proxies)
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies,
        "http": header_deadline(settings.header_timeout_seconds),
    }


def header_deadline(seconds: float) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing a connection whose headers take over `seconds`."""

    class HeaderDeadline(H11Protocol):
        header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:  # the request's headers are in
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.conn.their_state is h11.IDLE:  # waiting for the next request's headers
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self.header_timer = self.loop.call_later(seconds, self._headers_late)

        def _disarm(self) -> None:
            if self.header_timer is not None:
                self.header_timer.cancel()
                self.header_timer = None

        def _headers_late(self) -> None:
            self.header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline
