"""Engine worker processes, run as a user would run them: `handoff worker` subprocesses.

The bench treats the engine as a black box. It starts `handoff worker --engine queue|batch`
with HANDOFF_DATABASE_URL pointing at its fresh database, waits until each process has shown up
in the database (a Procrastinate worker row, or the batch engine's first cycle), samples each
process's resident memory while it works, and stops them with SIGTERM (the engine's graceful
shutdown), killing any that outlive the grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psutil
import psycopg

from handoff.notify import targets
from handoff.worker import WORKERS_PER_PROCESS

EngineKind = Literal["queue", "batch"]

READY_TIMEOUT_SECONDS = 300.0  # a batch engine's first cycle over 1,000,000 rotations
READY_POLL_SECONDS = 0.1
STOP_TIMEOUT_SECONDS = 15.0  # the engine's own shutdown grace is 10 s
# Workers log errors only: a released rotation's boundary is a whole minute, possibly more than
# a minute before the instant it is made due, and a late-handoff warning per rotation would
# cost the workers time that no real storm would cost them.
WORKER_LOG_LEVEL = "error"
LOG_TAIL_CHARS = 2000
MEBIBYTE = 1024 * 1024
CLI_ENTRY = "from handoff.cli.main import main; main()"


class WorkerError(RuntimeError):
    """A worker process exited or never became ready; the message carries its log's tail."""


@dataclass
class Workers:
    """`processes` engine processes of one kind on the database at `url`."""

    url: str
    engine: EngineKind
    processes: int
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _logs: list[Path] = field(default_factory=list)
    _max_rss: dict[int, int] = field(default_factory=dict)  # by process index

    @property
    def label(self) -> str:
        return f"{self.engine} x{self.processes}"

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["HANDOFF_DATABASE_URL"] = self.url
        env["HANDOFF_LOG_LEVEL"] = WORKER_LOG_LEVEL
        env["HANDOFF_LOG_FORMAT"] = "json"
        # The subscribed storm's webhook receiver listens on 127.0.0.1 (subscribed.py).
        env[targets.ALLOW_NETWORKS_ENV] = "127.0.0.0/8"
        return env

    def start(self) -> None:
        """Start the processes and return once every one of them works on the database."""
        started_at = self._database_now()
        # The default concurrency (HANDOFF_WORKER_CONCURRENCY): the engine as deployed.
        command = [sys.executable, "-c", CLI_ENTRY, "worker", "--engine", self.engine]
        env = self._environment()
        for _ in range(self.processes):
            log_fd, log_name = tempfile.mkstemp(prefix="hobench-worker-", suffix=".log")
            self._logs.append(Path(log_name))
            self._procs.append(
                subprocess.Popen(
                    command,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fd,
                    stderr=log_fd,
                    start_new_session=True,
                )
            )
            os.close(log_fd)
        self._wait_ready(started_at)

    def _database_now(self) -> float:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT /* bench */ extract(epoch FROM now())").fetchone()
        assert row is not None
        return float(row[0])

    def _ready_count(self, conn: psycopg.Connection[tuple[object, ...]], since: float) -> int:
        if self.engine == "queue":
            row = conn.execute(
                "SELECT /* bench */ count(*) FROM procrastinate_workers"
                " WHERE last_heartbeat >= to_timestamp(%s)",
                (since,),
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT /* bench */ count(*) FROM engine_status"
                " WHERE key = 'batch' AND updated_at >= to_timestamp(%s)",
                (since,),
            ).fetchone()
        return int(row[0]) if row else 0  # type: ignore[call-overload]

    def _wait_ready(self, since: float) -> None:
        # Only one batch engine cycles at a time (its lock), so one status row means ready.
        wanted = self.processes * WORKERS_PER_PROCESS if self.engine == "queue" else 1
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        with psycopg.connect(self.url, autocommit=True) as conn:
            while self._ready_count(conn, since) < wanted:
                self.check_alive()
                if time.monotonic() > deadline:
                    raise WorkerError(f"{self.label} not ready after {READY_TIMEOUT_SECONDS} s")
                time.sleep(READY_POLL_SECONDS)
        self.sample_rss()

    def check_alive(self) -> None:
        for proc, log in zip(self._procs, self._logs, strict=True):
            code = proc.poll()
            if code is not None:
                tail = log.read_text(errors="replace")[-LOG_TAIL_CHARS:]
                raise WorkerError(f"{self.label}: a worker exited with code {code}:\n{tail}")

    def sample_rss(self) -> None:
        """Record each process's current resident memory, keeping the largest seen."""
        for index, proc in enumerate(self._procs):
            if proc.poll() is not None:
                continue
            try:
                rss = psutil.Process(proc.pid).memory_info().rss
            except psutil.Error:
                continue
            self._max_rss[index] = max(rss, self._max_rss.get(index, 0))

    def max_rss_mb(self) -> list[float]:
        """The largest resident memory seen for each process, in MiB."""
        return [round(self._max_rss.get(i, 0) / MEBIBYTE, 1) for i in range(self.processes)]

    def stop(self) -> None:
        """SIGTERM every process, wait for the graceful shutdown, kill what remains."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for proc in self._procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.unlink(missing_ok=True)

    def __enter__(self) -> Workers:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
