"""Notification fixtures: a local HTTP receiver, an async pool, the engine's clock, workers.

The receiver is a real HTTP server on 127.0.0.1 (so the tests set
HANDOFF_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8); each test scripts its answers per path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from api.conftest import api, server  # noqa: F401  (the API tests' server and clients)
from engine.conftest import Spawn, spawn  # noqa: F401  (the engine tests' worker processes)
from handoff.store.clock import ClockSeam

# An answer: (status, headers); a script maps the request count of its path to an answer.
Answer = tuple[int, dict[str, str]]
Script = Callable[[int], Answer]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    url: str
    requests: list[Request] = field(default_factory=list)
    scripts: dict[str, Script] = field(default_factory=dict)
    delay: float = 0.0  # seconds each answer takes (a slow receiver)
    refused: set[str] = field(default_factory=set)  # webhook-ids always answered 503
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> str:
        return self.url + path

    def answer(self, path: str) -> Answer:
        with self.lock:
            seen = sum(1 for r in self.requests if r.path == path)
        script = self.scripts.get(path)
        return script(seen) if script else (204, {})

    def to(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender went away mid-body (a worker killed while sending): as any HTTP
                # server, the receiver never got a request, so it records and answers nothing.
                self.close_connection = True
                return
            rec = holder["receiver"]
            status, headers = rec.answer(self.path)
            if self.headers.get("webhook-id") in rec.refused:
                status, headers = 503, {}
            time.sleep(rec.delay)
            with rec.lock:
                rec.requests.append(
                    Request(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                    )
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = Receiver(f"http://127.0.0.1:{http.server_port}")
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield holder["receiver"]
    http.shutdown()
    http.server_close()


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False) as opened:
        yield opened


@pytest.fixture
def clock(db_url: str) -> ClockSeam:
    return ClockSeam(db_url, datetime.now(UTC).replace(microsecond=0))
