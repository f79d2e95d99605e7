"""A worker's health endpoints for orchestrators' probes (deploy.md, "Processes").

`handoff worker --health-port PORT` (or HANDOFF_WORKER_HEALTH_PORT) answers plain HTTP GETs:
- `/healthz`: 200 while the process runs (its event loop answers);
- `/readyz`: 200 when the database answers within READY_TIMEOUT and every queue worker of this
  process is registered with a heartbeat within READY_HEARTBEAT (the batch engine: when the
  database answers); otherwise 503 with the reason as the body.
A few lines of asyncio rather than a web framework: the worker serves nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from procrastinate.worker import Worker
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.store.queries import Queries

Q = Queries("health")
READY_TIMEOUT = timedelta(seconds=2)  # a probe's answer never waits longer on the database
# Twenty of the process's heartbeats (engine/runner.py): a probe that fails takes a worker
# stuck for that long, not a slow beat.
READY_HEARTBEAT = timedelta(seconds=30)
REQUEST_TIMEOUT = 5.0  # seconds to read a probe's request line and headers
log = logs.Logger("handoff.engine")


@dataclass
class Health:
    """What the probes look at: the process's engine pool and its running queue workers."""

    pool: AsyncConnectionPool[Any]
    workers: dict[str, Worker] = field(default_factory=dict)  # by queue
    # The database check under way. It is waited for READY_TIMEOUT, never cancelled: psycopg
    # cancels a query by a request to the server, which hangs as the query does when the
    # server is cut off. Probes meanwhile wait on the same check, so a hung database costs
    # one connection, not one per probe.
    _check: asyncio.Task[int] | None = None

    async def not_ready(self) -> str | None:
        """Why the worker is not ready, or None when it is."""
        ids = [w.worker_id for w in self.workers.values() if w.worker_id is not None]
        if len(ids) < len(self.workers):
            return "a queue worker is not registered yet"
        if self._check is None or self._check.done():
            self._check = asyncio.create_task(self._fresh(ids), name="readiness check")
        check = self._check
        await asyncio.wait([check], timeout=READY_TIMEOUT.total_seconds())
        if not check.done():
            return "the database did not answer in time"
        if check.exception() is not None:  # a failure to reach the database is a 503
            return f"the database is unreachable: {type(check.exception()).__name__}"
        if check.result() < len(ids):
            return "a queue worker's heartbeat is not recent"
        return None

    async def _fresh(self, ids: list[int]) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(Q["fresh_workers"], {"ids": ids, "within": READY_HEARTBEAT})
            row = await cur.fetchone()
        return int(row[0]) if row else 0


async def _answer(
    health: Health, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            request = await reader.readline()
            while (await reader.readline()).strip():
                pass  # the headers: nothing in them matters here
        parts = request.decode("latin-1").split()
        path = parts[1] if len(parts) >= 2 and parts[0] in ("GET", "HEAD") else None
        if path == "/healthz":
            status, body = "200 OK", "ok"
        elif path == "/readyz":
            reason = await health.not_ready()
            status, body = ("200 OK", "ready") if reason is None else ("503 Not Ready", reason)
        else:
            status, body = "404 Not Found", "not found"
        data = body.encode() + b"\n"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + (data if parts and parts[0] != "HEAD" else b"")
        )
        await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def serving(health: Health, port: int | None, host: str) -> AsyncIterator[None]:
    """Serve the probes on `port` (nothing when None) for the duration of the block."""
    if port is None:
        yield
        return

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer(health, reader, writer)

    server = await asyncio.start_server(answer, host=host, port=port)
    # The port bound, which is the system's choice when `port` is 0.
    log.info("health endpoints served", host=host, port=server.sockets[0].getsockname()[1])
    try:
        yield
    finally:
        server.close()
