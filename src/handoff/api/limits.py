"""Every request body is read in full, within a deadline and a size cap, before any route runs.

A route that takes a pooled database connection and then reads its body would let a client
that sends its body slowly hold that connection for as long as it likes: twelve such clients
emptied a pool of ten. Here the body is read first, in the middleware (the API's JSON and the
UI's forms alike, one mechanism for every route), and the route receives it from memory; a
connection is only taken once the body is whole.

- A declared Content-Length over the cap, or one that is not a number, is refused before
  anything is read (413, 400); a body that grows past the cap while streaming (chunked) is
  refused when it does (413).
- A body not whole within the deadline (setting `body_timeout_seconds`) is a 408, and the
  connection is closed.
- A client that goes away mid-body is logged in one info line; nothing else runs.
"""

from __future__ import annotations

import json

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handoff import logs

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_BODY_TIMEOUT_SECONDS = 10.0
log = logs.Logger("handoff.http")


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(send, 413 if declared.isdigit() else 400)
            return
        if declared in (None, b"0") and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body to wait for
            return
        try:
            with anyio.fail_after(_timeout(scope)):
                body = await self._read(receive)
        except TimeoutError:
            await _refuse(send, 408)
            return
        except BodyTooLarge:
            await _refuse(send, 413)
            return
        except ClientGone:
            log.info(
                "the client went away before sending its whole request body",
                method=scope["method"],
                path=scope["path"],
            )
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _timeout(scope: Scope) -> float:
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return float(getattr(settings, "body_timeout_seconds", DEFAULT_BODY_TIMEOUT_SECONDS))


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then the client's own messages (a disconnect, for routes that
    watch for one)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


_ANSWERS = {
    400: ("Bad Request", "the Content-Length header is not a number"),
    408: ("Request Timeout", "the request body did not arrive in time"),
    413: ("Content Too Large", f"the request body is larger than {MAX_BODY_BYTES} bytes"),
}


async def _refuse(send: Send, status: int) -> None:
    title, detail = _ANSWERS[status]
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
