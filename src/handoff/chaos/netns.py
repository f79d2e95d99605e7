"""Hosts on one machine (`handoff chaos --fault hosts`, tests/deploy/test_hosts.py): a network
namespace per host, each joined by a veth pair to a bridge in the root namespace, which holds
the "network" address the database side listens on.

Addresses come from a /24 in 10.0.0.0/8 that no route of the machine uses, picked at random
and used by the test's own namespaces only; every interface and namespace is named with the
test's own prefix, and all of them are removed afterwards. Cutting a host's link (its veth's
root end down) is a partition: the host's processes live on and their connections hang.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


class Unavailable(Exception):
    """Namespaces cannot be made here (no privilege, no `ip`): the reason."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, ["ip", *args], done.stderr)


def _free_subnet() -> ipaddress.IPv4Network:
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    used = [
        ipaddress.ip_network(word, strict=False)
        for word in routes.split()
        if "/" in word and word[0].isdigit()
    ]
    for _ in range(100):
        candidate = ipaddress.IPv4Network(
            f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24"
        )
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise Unavailable("no free /24 in 10.0.0.0/8")


@dataclass
class Network:
    prefix: str
    subnet: ipaddress.IPv4Network
    hosts: int

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge: where the database side listens."""
        return str(self.subnet[1])

    def namespace(self, host: int) -> str:
        return f"{self.prefix}h{host}"

    def _link(self, host: int) -> str:
        return f"{self.prefix}v{host}"

    def command(self, host: int, argv: list[str]) -> list[str]:
        """`argv` run inside host `host`'s namespace."""
        return ["ip", "netns", "exec", self.namespace(host), *argv]

    def cut(self, host: int) -> None:
        _ip("link", "set", self._link(host), "down")

    def heal(self, host: int) -> None:
        _ip("link", "set", self._link(host), "up")

    def _create(self) -> None:
        bridge = f"{self.prefix}br"
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for host in range(1, self.hosts + 1):
            ns, outside, inside = self.namespace(host), self._link(host), f"{self.prefix}i{host}"
            _ip("netns", "add", ns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", outside, "master", bridge)
            _ip("link", "set", outside, "up")
            _ip("link", "set", inside, "netns", ns)
            address = f"{self.subnet[10 + host]}/{self.subnet.prefixlen}"
            _ip("-n", ns, "addr", "add", address, "dev", inside)
            _ip("-n", ns, "link", "set", inside, "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def _remove(self) -> None:
        for host in range(1, self.hosts + 1):
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "delete", self.namespace(host))  # takes its veth pair with it
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "delete", f"{self.prefix}br")


@contextlib.contextmanager
def network(hosts: int) -> Iterator[Network]:
    """`hosts` namespaced hosts on a bridge of their own; Unavailable says why not."""
    if os.geteuid() != 0:
        raise Unavailable("network namespaces need root (CAP_NET_ADMIN)")
    made = Network(f"ho{secrets.token_hex(3)}", _free_subnet(), hosts)
    try:
        made._create()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        made._remove()
        raise Unavailable(f"cannot make network namespaces here: {exc}") from None
    try:
        yield made
    finally:
        made._remove()
