"""The shell that talks to receivers: one attempt at one message, over HTTP or SMTP.

Every connection checks its target again (DNS may have changed since it was saved): the client
resolves the host once, checks those addresses (targets.resolve_checked) and connects to the one
it checked, while the URL, so the Host header and the TLS server name, keeps the host's name; a
name that answers differently the second time (DNS rebinding) is never asked twice. An attempt
never raises for anything the receiver or the network does: the result says what happened. A
delivery job sends through one HTTP client (`client()`) for all its attempts, so messages to
the same receiver reuse its connections instead of opening one each.
"""

from __future__ import annotations

import asyncio
import importlib.util
import smtplib
import ssl
import sys
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

from handoff.notify import render, signing, targets
from handoff.notify.policy import TIMEOUT_SECONDS

USER_AGENT = "handoff-notify/1"
MAX_ERROR = 500


def _record_sniffio_absent() -> None:
    """httpcore 1.0.9 imports the optional `sniffio` each time it sets up a lock, event or
    semaphore, several times per request; without sniffio (anyio >= 4.11 no longer brings it)
    every failed import searches sys.path again, which made a local send cost several times
    its HTTP work (encode/httpcore#1103). A None in sys.modules makes that import fail at once,
    as it would anyway; an installed sniffio is left alone."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


_record_sniffio_absent()


@dataclass(frozen=True, slots=True)
class Result:
    status: int | None  # the HTTP status (SMTP success reads as 200); None: no answer
    error: str | None = None
    retry_after: str | None = None
    permanent: bool = False  # fail at once whatever the status (a refused target, SMTP 5xx)


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    kind: str
    target: str
    secret: bytes | None


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked addresses: the host is resolved once, here, and
    the connection goes to the address that passed the check (httpcore then starts TLS with
    the host's name, and the request carries it in its Host header)."""

    def __init__(self, resolver: targets.Resolver = targets.system_resolver) -> None:
        self.resolver = resolver
        self.backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await targets.resolve_checked(host, port, self.resolver)
        return await self.backend.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise targets.TargetError("must not be a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a CheckedBackend (httpx has no argument for a network backend,
    so its connection pool is made again with one)."""

    def __init__(self, connections: int, resolver: targets.Resolver, tls: ssl.SSLContext) -> None:
        super().__init__(verify=tls, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=connections,
            max_keepalive_connections=connections,
            network_backend=CheckedBackend(resolver),
        )


def client(
    connections: int = 1,
    resolver: targets.Resolver = targets.system_resolver,
    tls: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An HTTP client for attempts: at most `connections` open at once, kept alive between
    them, each to a checked address; redirects are not followed (a redirect could lead past the
    target check). `tls` defaults to the system's certificate authorities."""
    return httpx.AsyncClient(
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
        transport=CheckedTransport(connections, resolver, tls or _tls()),
    )


async def attempt(
    channel: Channel,
    msg_id: str,
    event: render.Event,
    *,
    sent_at: datetime,
    http: httpx.AsyncClient | None = None,
) -> Result:
    """One attempt; over `http` if given, else over a client of its own (a one-off send).
    `sent_at` is the engine's clock (the database's), the webhook's timestamp."""
    try:
        targets.check_syntax(channel.kind, channel.target)
    except targets.TargetError as exc:
        return _refused(exc)
    if channel.kind == "email":
        return await asyncio.to_thread(_smtp, channel.target, msg_id, event)
    if channel.kind == "slack":
        body, headers = render.slack_body(event), {"content-type": "application/json"}
    else:
        assert channel.secret is not None
        body = render.webhook_body(event)
        headers = signing.headers(channel.secret, msg_id, int(sent_at.timestamp()), body)
    if http is None:
        async with client() as own:
            return await _post(own, channel.target, body, headers)
    return await _post(http, channel.target, body, headers)


def _refused(exc: targets.TargetError) -> Result:
    return Result(None, f"target refused: {exc}"[:MAX_ERROR], permanent=True)


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA store costs more than a local send."""
    return ssl.create_default_context()


async def _post(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> Result:
    try:
        response = await http.post(url, content=body, headers=headers | {"user-agent": USER_AGENT})
    except targets.TargetError as exc:
        return _refused(exc)
    except httpx.TimeoutException:
        return Result(None, "timed out")
    except httpx.InvalidURL as exc:
        return Result(None, f"invalid URL: {exc}"[:MAX_ERROR], permanent=True)
    except httpx.HTTPError as exc:
        return Result(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    error = None if response.is_success else f"HTTP {response.status_code}"
    return Result(response.status_code, error, response.headers.get("retry-after"))


def _smtp(to: str, msg_id: str, event: render.Event) -> Result:
    url = urlsplit(targets.smtp_url())
    host = url.hostname or "localhost"
    sender = f"handoff@{host}" if "." in host else "handoff@localhost"
    message = render.email_message(event, msg_id, sender, to)
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host,
                url.port or 465,
                timeout=TIMEOUT_SECONDS,
                context=_tls(),
            )
        else:
            client = smtplib.SMTP(host, url.port or 25, timeout=TIMEOUT_SECONDS)
        with client:
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except smtplib.SMTPResponseException as exc:
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:MAX_ERROR]
        return Result(None, error, permanent=exc.smtp_code >= 500)
    except smtplib.SMTPRecipientsRefused as exc:
        return Result(None, f"SMTP recipient refused: {exc.recipients}"[:MAX_ERROR], permanent=True)
    except (OSError, smtplib.SMTPException) as exc:
        return Result(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    return Result(200)
