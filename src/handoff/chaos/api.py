"""A real `handoff api` process over the chaos database, and an admin token for it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg

from handoff.chaos.workers import CLI_ENTRY, LOG_TAIL_CHARS, STOP_TIMEOUT_SECONDS
from handoff.http.server import LISTENING_LINE
from handoff.store import clock, tokens

READY_TIMEOUT_SECONDS = 30.0
READY_POLL_SECONDS = 0.2
T = TypeVar("T")


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


def wait_for(
    log: Path, process: subprocess.Popen[Any], find: Callable[[str], T | None], timeout: float
) -> T:
    """What `find` reads in the log of a starting `process` (its port, once bound), waiting
    until it is there; raises with the log if the process exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace")
        if (found := find(text)) is not None:
            return found
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{process.args!r} did not start:\n{text[-LOG_TAIL_CHARS:]}")
        time.sleep(READY_POLL_SECONDS)


def listening_url(text: str) -> str | None:
    """The address `handoff api` or `handoff up` printed once it listens."""
    found = LISTENING_LINE.search(text)
    return found.group(1) if found else None


def logged_port(event: str) -> Callable[[str], int | None]:
    """A `find` for `wait_for`: the port in a JSON log line of `event` ("health endpoints
    served", "metrics served"), which is the one bound."""

    def find(text: str) -> int | None:
        for line in text.splitlines():
            if line.startswith("{") and event in line:
                record = json.loads(line)
                if record.get("event") == event:
                    return int(record["port"])
        return None

    return find


async def _admin_token(url: str, name: str) -> str:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        _, secret = await tokens.create(conn, name, "admin", now=await clock.read(conn))
    return secret


@contextmanager
def api_process(url: str, log_dir: Path, name: str) -> Iterator[ApiProcess]:
    """Serve the API on a local port it picks until the block ends (SIGTERM, then SIGKILL)."""
    token = asyncio.run(_admin_token(url, f"chaos-{name}"))
    log = log_dir / f"api-{name}.log"
    env = dict(os.environ) | {"HANDOFF_DATABASE_URL": url, "HANDOFF_LOG_FORMAT": "json"}
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", CLI_ENTRY, "api", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )
    try:
        # Printed once it listens, so it answers from here on.
        base_url = wait_for(log, process, listening_url, READY_TIMEOUT_SECONDS)
        yield ApiProcess(base_url, token, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
