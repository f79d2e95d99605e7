"""Where a channel may send: checked when it is saved, and again on every connection it opens.

A webhook or Slack target is an http(s) URL whose host resolves only to global addresses
(`ipaddress.is_global`; and no multicast, 6to4, Teredo or NAT64 address, which Python may call
global), unless the address is inside a network of the setting
`webhook_allow_networks` (HANDOFF_WEBHOOK_ALLOW_NETWORKS=10.20.0.0/16,..., or the same list in
handoff.toml): a channel must not become a way to reach the service's own network. Loopback and
link-local addresses are allowed only by a network that is itself loopback or link-local
(127.0.0.0/8, ::1/128, 169.254.0.0/16, fe80::/10 or inside them), never by a wider one such as
0.0.0.0/0.

`resolve_checked` is the one place a host is resolved and checked; the sender connects to the
address it returns (handoff.notify.send), so the address checked is the address connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from handoff.config import DEFAULT_CONFIG_FILE, load_settings

KINDS = ("webhook", "slack", "email")
ALLOW_NETWORKS_ENV = "HANDOFF_WEBHOOK_ALLOW_NETWORKS"
SMTP_URL_ENV = "HANDOFF_SMTP_URL"
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses it resolves to (the system's resolver unless a test names one)
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class TargetError(ValueError):
    """A target that may not be used; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class Reach:
    """What the settings let channels reach: the allowed networks, and which SMTP server."""

    allow_networks: tuple[Network, ...]
    smtp_url: str


def reach() -> Reach:
    """`webhook_allow_networks` and `smtp_url` from the Settings (environment, then the TOML
    file), read again whenever the environment or the file changed: every send asks, and
    loading the Settings costs about 2 ms, more than the check itself."""
    path = Path(os.environ.get("HANDOFF_CONFIG") or DEFAULT_CONFIG_FILE)
    try:
        stamp: float | None = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _reach(
        os.environ.get(ALLOW_NETWORKS_ENV),
        os.environ.get(SMTP_URL_ENV),
        os.environ.get("HANDOFF_CONFIG"),
        stamp,
    )


@lru_cache(maxsize=8)
def _reach(*_inputs: object) -> Reach:
    settings = load_settings()
    return Reach(tuple(settings.webhook_allow_networks), settings.smtp_url or "")


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


def _special(ip: Address) -> bool:
    """What this Python may call global but no receiver should be: multicast and reserved
    addresses, and 6to4, Teredo and NAT64 addresses (an IPv4 address, perhaps a private one,
    inside)."""
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return True
    return isinstance(ip, ipaddress.IPv6Address) and (
        ip.sixtofour is not None or ip.teredo is not None or ip in _NAT64 or ip in _NAT64_LOCAL
    )


def _named_by(ip: Address, network: Network) -> bool:
    """Whether `network` allows `ip`: it contains it, and for a loopback or link-local address
    the network is itself loopback or link-local (named, not merely covered). The unspecified
    address (0.0.0.0, ::), which reaches this host, is never allowed."""
    if ip.version != network.version or ip not in network or ip.is_unspecified:
        return False
    if ip.is_loopback:
        return network.is_loopback
    if ip.is_link_local:
        return network.is_link_local
    return True


def refusal(address: str, allow_networks: Sequence[Network]) -> str | None:
    """Why the service may not connect to `address`, or None if it may."""
    ip: Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(_named_by(ip, network) for network in allow_networks):
        return None
    if ip.is_global and not _special(ip):
        return None
    return (
        f"not a public address; to allow it, add its network to {ALLOW_NETWORKS_ENV}"
        " (webhook_allow_networks in handoff.toml)"
    )


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve_checked(host: str, port: int, resolver: Resolver = system_resolver) -> str:
    """Resolve `host` once and return the address to connect to; refuse the host if any of its
    addresses may not be reached (a name that answers with a private address among public ones
    is not trusted either)."""
    allowed = reach().allow_networks
    try:
        addresses = list(await resolver(host, port))
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TargetError(f"host {host!r} does not resolve ({reason})") from None
    if not addresses:
        raise TargetError(f"host {host!r} does not resolve")
    for address in addresses:
        why = refusal(address, allowed)
        if why is not None:
            if address == host.strip("[]"):
                raise TargetError(f"{address} is {why}")
            raise TargetError(f"host {host!r} resolves to {address}, {why}")
    return addresses[0]


async def check(kind: str, target: str) -> None:
    """The whole check: form, then (for URLs) where the host resolves."""
    check_syntax(kind, target)
    if kind == "email":
        return
    parts = urlsplit(target)
    assert parts.hostname is not None
    await resolve_checked(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def redacted(kind: str, target: str) -> str:
    """The target as readers see it: a URL's scheme, host and port only, since its path or
    query is often the credential (a Slack incoming-webhook URL is one)."""
    if kind == "email":
        return target
    parts = urlsplit(target)
    if parts.path in ("", "/") and not parts.query:
        return target
    return f"{parts.scheme}://{parts.netloc}/…"
