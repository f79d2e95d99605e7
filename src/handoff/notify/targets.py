"""Where a channel may send: checked when it is saved and again just before each send.

A webhook or Slack target is an http(s) URL whose host resolves only to public addresses,
unless the setting `allow_private_targets` (HANDOFF_ALLOW_PRIVATE_TARGETS=1, or
`allow_private_targets = true` in handoff.toml) says otherwise: a channel must not become a way
to reach the service's own network (loopback, link-local, private, reserved ranges).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from handoff.config import DEFAULT_CONFIG_FILE, load_settings

KINDS = ("webhook", "slack", "email")
ALLOW_PRIVATE_ENV = "HANDOFF_ALLOW_PRIVATE_TARGETS"
SMTP_URL_ENV = "HANDOFF_SMTP_URL"
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class TargetError(ValueError):
    """A target that may not be used; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class Reach:
    """What the settings let channels reach: private addresses, and which SMTP server."""

    allow_private: bool
    smtp_url: str


def reach() -> Reach:
    """`allow_private_targets` and `smtp_url` from the Settings (environment, then the TOML
    file), read again whenever the environment or the file changed: every send asks, and
    loading the Settings costs about 2 ms, more than the check itself."""
    path = Path(os.environ.get("HANDOFF_CONFIG") or DEFAULT_CONFIG_FILE)
    try:
        stamp: float | None = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _reach(
        os.environ.get(ALLOW_PRIVATE_ENV),
        os.environ.get(SMTP_URL_ENV),
        os.environ.get("HANDOFF_CONFIG"),
        stamp,
    )


@lru_cache(maxsize=8)
def _reach(*_inputs: object) -> Reach:
    settings = load_settings()
    return Reach(settings.allow_private_targets, settings.smtp_url or "")


def private_allowed() -> bool:
    return reach().allow_private


def smtp_url() -> str:
    return reach().smtp_url


def check_syntax(kind: str, target: str) -> None:
    """Refuse a target whose form is wrong for its kind (no network access)."""
    if kind == "email":
        if not _EMAIL.match(target) or len(target) > 320:
            raise TargetError("must be an email address")
        if not smtp_url():
            raise TargetError(
                f"email channels need {SMTP_URL_ENV} (smtp://user:pass@host:port), or"
                " smtp_url in handoff.toml"
            )
        return
    try:
        parts = urlsplit(target)
        port = parts.port  # raises for a port out of range
    except ValueError as exc:
        raise TargetError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError("must be an http or https URL")
    if parts.username or parts.password:
        raise TargetError("must not carry a user name or password")
    if port == 0:
        raise TargetError("must not name port 0")
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        raise TargetError(f"host {parts.hostname!r} is not a valid host name") from None


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


async def check_host(host: str, port: int) -> None:
    """Refuse a host that resolves to an address the service must not reach."""
    if private_allowed():
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TargetError(f"host {host!r} does not resolve ({reason})") from None
    for info in infos:
        address = str(info[4][0])
        if _refused(address):
            raise TargetError(
                f"host {host!r} resolves to {address}, a loopback, link-local or private address"
            )


async def check(kind: str, target: str) -> None:
    """The whole check: form, then (for URLs) where the host resolves."""
    check_syntax(kind, target)
    if kind == "email":
        return
    parts = urlsplit(target)
    assert parts.hostname is not None
    await check_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def redacted(kind: str, target: str) -> str:
    """The target as readers see it: a URL's scheme, host and port only, since its path or
    query is often the credential (a Slack incoming-webhook URL is one)."""
    if kind == "email":
        return target
    parts = urlsplit(target)
    if parts.path in ("", "/") and not parts.query:
        return target
    return f"{parts.scheme}://{parts.netloc}/…"
