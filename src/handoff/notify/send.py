"""The shell that talks to receivers: one attempt at one message, over HTTP or SMTP.

Every attempt checks the target again (DNS may have changed since it was saved) and never
raises for anything the receiver or the network does: the result says what happened. A
delivery job sends through one HTTP client (`client()`) for all its attempts, so messages to
the same receiver reuse its connections instead of opening one each.
"""

from __future__ import annotations

import asyncio
import importlib.util
import smtplib
import ssl
import sys
import time
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlsplit

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


def client(connections: int = 1) -> httpx.AsyncClient:
    """An HTTP client for attempts: at most `connections` open at once, kept alive between
    them; redirects are not followed (a redirect could lead past the target check)."""
    return httpx.AsyncClient(
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
        verify=_tls(),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def attempt(
    channel: Channel, msg_id: str, event: render.Event, http: httpx.AsyncClient | None = None
) -> Result:
    """One attempt; over `http` if given, else over a client of its own (a one-off send)."""
    try:
        await targets.check(channel.kind, channel.target)
    except targets.TargetError as exc:
        return Result(None, f"target refused: {exc}", permanent=True)
    if channel.kind == "email":
        return await asyncio.to_thread(_smtp, channel.target, msg_id, event)
    if channel.kind == "slack":
        body, headers = render.slack_body(event), {"content-type": "application/json"}
    else:
        assert channel.secret is not None
        body = render.webhook_body(event)
        headers = signing.headers(channel.secret, msg_id, int(time.time()), body)
    if http is None:
        async with client() as own:
            return await _post(own, channel.target, body, headers)
    return await _post(http, channel.target, body, headers)


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA store costs more than a local send."""
    return ssl.create_default_context()


async def _post(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> Result:
    try:
        response = await http.post(url, content=body, headers=headers | {"user-agent": USER_AGENT})
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
