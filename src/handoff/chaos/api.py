"""A real `handoff api` process over the chaos database, and an admin token for it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from handoff.chaos.workers import CLI_ENTRY, STOP_TIMEOUT_SECONDS
from handoff.store import clock, tokens

READY_TIMEOUT_SECONDS = 30.0
READY_POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class ApiProcess:
    base_url: str
    token: str
    log: Path

    def client(self, timeout: float) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=timeout,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _admin_token(url: str, name: str) -> str:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        _, secret = await tokens.create(conn, name, "admin", now=await clock.read(conn))
    return secret


@contextmanager
def api_process(url: str, log_dir: Path, name: str) -> Iterator[ApiProcess]:
    """Serve the API on a free local port until the block ends (SIGTERM, then SIGKILL)."""
    token = asyncio.run(_admin_token(url, f"chaos-{name}"))
    port = free_port()
    log = log_dir / f"api-{name}.log"
    env = dict(os.environ) | {"HANDOFF_DATABASE_URL": url, "HANDOFF_LOG_FORMAT": "json"}
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", CLI_ENTRY, "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start:\n{log.read_text(errors='replace')}")
            time.sleep(READY_POLL_SECONDS)
        yield ApiProcess(base_url, token, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
