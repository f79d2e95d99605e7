"""Where a webhook may not go (issue 24.4, 23.2): only global addresses, unless a network of
HANDOFF_WEBHOOK_ALLOW_NETWORKS names the address; and the address checked is the address the
request goes to, whatever the name answers the next time it is asked."""

from __future__ import annotations

import ipaddress
import ssl
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from handoff.config import ConfigError, load_settings
from handoff.notify import send, targets

EVENT: dict[str, Any] = {"type": "channel.test", "timestamp": "2026-03-02T08:00:00Z", "data": {}}
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
REFUSED = "not a public address; to allow it, add its network to HANDOFF_WEBHOOK_ALLOW_NETWORKS"


@pytest.fixture(autouse=True)
def _no_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(targets.ALLOW_NETWORKS_ENV, raising=False)
    monkeypatch.delenv("HANDOFF_CONFIG", raising=False)
    monkeypatch.chdir("/")  # no ./handoff.toml


@pytest.mark.parametrize(
    "target",
    [
        "http://100.100.100.200/latest/meta-data/",  # a cloud metadata address (100.64/10)
        "http://100.64.0.1/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://127.0.0.1/x",
        "http://127.1/x",
        "http://2130706433/x",  # 127.0.0.1 as one number
        "http://0x7f000001/x",
        "http://localhost:8080/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://172.16.0.1/x",
        "http://192.0.2.1/x",  # documentation
        "http://198.18.0.1/x",  # benchmarking
        "http://224.0.0.1/x",
        "http://255.255.255.255/x",
        "http://0.0.0.0/x",
        "http://[::]/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[::ffff:a9fe:a9fe]/x",  # mapped 169.254.169.254
        "http://[fe80::1]/x",
        "http://[fc00::1]/x",
        "http://[fd12:3456::1]/x",
    ],
)
async def test_addresses_that_are_not_global_are_refused(target: str) -> None:
    with pytest.raises(targets.TargetError, match=REFUSED):
        await targets.check("webhook", target)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "8.8.8.8"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert targets.refusal(address, ()) is None


def _networks(*cidrs: str) -> list[targets.Network]:
    return [ipaddress.ip_network(cidr) for cidr in cidrs]


@pytest.mark.parametrize(
    ("address", "allowed", "refused"),
    [
        ("10.20.3.4", ("10.20.0.0/16",), False),
        ("10.21.3.4", ("10.20.0.0/16",), True),
        ("100.100.100.200", ("100.100.100.0/24",), False),
        ("fd00::5", ("fd00::/8",), False),
        # Loopback and link-local only when a network names them, never by a wider network.
        ("127.0.0.1", ("0.0.0.0/0",), True),
        ("127.0.0.1", ("127.0.0.0/8",), False),
        ("127.0.0.1", ("127.0.0.1/32",), False),
        ("::ffff:127.0.0.1", ("127.0.0.0/8",), False),
        ("::1", ("::/0",), True),
        ("::1", ("::1/128",), False),
        ("169.254.169.254", ("0.0.0.0/0",), True),
        ("169.254.169.254", ("169.254.169.254/32",), False),
        ("fe80::1", ("::/0",), True),
        ("fe80::1", ("fe80::/10",), False),
        ("10.0.0.1", ("0.0.0.0/0",), False),
        ("0.0.0.0", ("0.0.0.0/0",), True),  # connecting to it reaches this host
        ("::", ("::/0",), True),
    ],
)
def test_the_allow_list(address: str, allowed: tuple[str, ...], refused: bool) -> None:
    assert (targets.refusal(address, _networks(*allowed)) is not None) is refused


def test_the_allow_list_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv(targets.ALLOW_NETWORKS_ENV, "10.20.0.0/16, 127.0.0.0/8,fd00::/8")
    assert load_settings().webhook_allow_networks == _networks(
        "10.20.0.0/16", "127.0.0.0/8", "fd00::/8"
    )
    monkeypatch.setenv(targets.ALLOW_NETWORKS_ENV, "10.20.0.0/33")
    with pytest.raises(ConfigError, match="webhook_allow_networks"):
        load_settings()
    monkeypatch.delenv(targets.ALLOW_NETWORKS_ENV)
    config = tmp_path / "handoff.toml"
    config.write_text('webhook_allow_networks = ["192.168.7.0/24"]\n')
    monkeypatch.setenv("HANDOFF_CONFIG", str(config))
    assert targets.reach().allow_networks == tuple(_networks("192.168.7.0/24"))


@dataclass
class Receiver:
    host: str
    port: int
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    """Two receivers on the same port of two loopback addresses: 127.0.0.1 (the one allowed)
    and 127.0.0.2 (where a rebinding name would lead)."""
    found: dict[str, Receiver] = {}
    servers: list[ThreadingHTTPServer] = []
    port = 0
    for host in ("127.0.0.1", "127.0.0.2"):
        receiver = Receiver(host, port)

        class Handler(BaseHTTPRequestHandler):
            into = receiver

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.into.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        port = server.server_port
        receiver.port = port
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        found[host] = receiver
    yield found
    for server in servers:
        server.shutdown()
        server.server_close()


def _channel(url: str) -> send.Channel:
    return send.Channel("c", "webhook", url, b"k" * 32)


async def test_a_private_receiver_is_reached_when_its_network_is_allowed(
    receivers: dict[str, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    local = receivers["127.0.0.1"]
    url = f"http://127.0.0.1:{local.port}/hook"
    refused = await send.attempt(_channel(url), "msg_1", EVENT, sent_at=NOW)
    assert refused.permanent and refused.error is not None
    assert REFUSED in refused.error
    assert local.seen == []
    monkeypatch.setenv(targets.ALLOW_NETWORKS_ENV, "127.0.0.1/32")
    assert (await send.attempt(_channel(url), "msg_2", EVENT, sent_at=NOW)).status == 204
    assert len(local.seen) == 1


async def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(
    receivers: dict[str, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers an allowed address when checked, then another one; the
    request goes to the first, with the name in its Host header."""
    monkeypatch.setenv(targets.ALLOW_NETWORKS_ENV, "127.0.0.1/32")
    answers = ["127.0.0.1", "127.0.0.2"]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return [answers[min(len(asked), len(answers)) - 1]]

    port = receivers["127.0.0.1"].port
    async with send.client(resolver=rebinding) as http:
        result = await send.attempt(
            _channel(f"http://hooks.example.test:{port}/h"), "msg_3", EVENT, sent_at=NOW, http=http
        )
    assert result.status == 204, result.error
    assert asked == ["hooks.example.test"]
    assert receivers["127.0.0.2"].seen == []
    (headers,) = receivers["127.0.0.1"].seen
    assert headers["host"] == f"hooks.example.test:{port}"

    # Asked again (a new connection), the name now answers 127.0.0.2: refused, nothing sent.
    async with send.client(resolver=rebinding) as http:
        result = await send.attempt(
            _channel(f"http://hooks.example.test:{port}/h"), "msg_4", EVENT, sent_at=NOW, http=http
        )
    assert result.permanent and result.error is not None
    assert "resolves to 127.0.0.2, " + REFUSED in result.error
    assert receivers["127.0.0.2"].seen == []


async def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    async def mixed(host: str, port: int) -> Sequence[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(targets.TargetError, match=r"resolves to 10\.0\.0\.7"):
        await targets.resolve_checked("mixed.example.test", 80, mixed)


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None], list[str]]]:
    """An https receiver on 127.0.0.1 whose certificate names hooks.example.test only; it
    records the TLS server name each client asked for and each request's Host header."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=hooks.example.test", "-addext", "subjectAltName=DNS:hooks.example.test",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    names: list[str | None] = []
    hosts: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: names.append(name)  # type: ignore[func-returns-value]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            hosts.append(self.headers["host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, cert, names, hosts
    server.shutdown()
    server.server_close()


async def test_tls_is_checked_against_the_name_while_connecting_to_the_checked_address(
    tls_receiver: tuple[int, Path, list[str | None], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert, names, hosts = tls_receiver
    monkeypatch.setenv(targets.ALLOW_NETWORKS_ENV, "127.0.0.1/32")

    async def local(host: str, port: int) -> Sequence[str]:
        return ["127.0.0.1"]

    trusting = ssl.create_default_context(cafile=str(cert))
    async with send.client(resolver=local, tls=trusting) as http:
        result = await send.attempt(
            _channel(f"https://hooks.example.test:{port}/h"),
            "msg_5",
            EVENT,
            sent_at=NOW,
            http=http,
        )
    assert result.status == 204, result.error
    assert names == ["hooks.example.test"]  # the TLS server name, though 127.0.0.1 was dialled
    assert hosts == [f"hooks.example.test:{port}"]
