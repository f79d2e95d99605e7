"""The service as a user runs it, in its own process on a free port: `handoff api`, or
`handoff up` (API and web in one process, the queue engine in a worker process it starts)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

import httpx

from handoff.bench.workers import CLI_ENTRY
from handoff.chaos.api import listening_url, wait_for

START_TIMEOUT_SECONDS = 60.0
READY_POLL_SECONDS = 0.2
STOP_TIMEOUT_SECONDS = 40.0  # `handoff up` waits up to 30 s for its worker to stop


class Service:
    """`handoff <command>` on the database at `url`; `base` once entered. `handoff up` is
    entered once /readyz answers 200, that is once its worker has checked in."""

    def __init__(self, url: str, command: Literal["api", "up"] = "api") -> None:
        self.url = url
        self.command = command
        self.base = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix=f"handoff-bench-{command}-")

    @property
    def log(self) -> Path:
        return Path(self._dir.name) / f"{self.command}.log"

    def __enter__(self) -> Service:
        env = dict(
            os.environ,
            HANDOFF_DATABASE_URL=self.url,
            HANDOFF_LOG_LEVEL="warning",
            HANDOFF_DATA_DIR=self._dir.name,  # where `handoff up` keeps its admin token
        )
        command = [sys.executable, "-c", CLI_ENTRY, self.command, "--host", "127.0.0.1"]
        with self.log.open("wb") as out:
            self._proc = subprocess.Popen(
                [*command, "--port", "0"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        try:
            self.base = wait_for(self.log, self._proc, listening_url, START_TIMEOUT_SECONDS)
            if self.command == "up":
                self._wait_ready()
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"handoff {self.command} did not become ready:\n{tail}")
            time.sleep(READY_POLL_SECONDS)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __exit__(self, *_: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._dir.cleanup()
