"""Engine processes as a deployment runs them: `handoff worker` subprocesses, supervised.

The suite treats the engine as a black box: it starts `handoff worker --engine queue|batch`
with HANDOFF_DATABASE_URL set to its database, kills them with SIGKILL (no chance to clean
up), and, like systemd with Restart=always, starts a new process in place of any that died
or exited. Every process logs JSON lines to a file the suite reads afterwards (repairs counted
by the sweep, secrets that must never appear).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psycopg

from handoff.worker import WORKERS_PER_PROCESS

EngineKind = Literal["queue", "batch"]

CLI_ENTRY = "from handoff.cli.main import main; main()"
WORKER_LOG_LEVEL = "warning"  # repairs and late handoffs are warnings; info would flood
READY_TIMEOUT_SECONDS = 60.0
READY_POLL_SECONDS = 0.2
STOP_TIMEOUT_SECONDS = 15.0  # the engine's own shutdown grace is 10 s
LOG_TAIL_CHARS = 2000


_READY_QUEUE = "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= to_timestamp(%s)"
_READY_BATCH = (
    "SELECT count(*) FROM engine_status WHERE key = 'batch' AND updated_at >= to_timestamp(%s)"
)
# The supervisor's own connections to `url`, which may lead through a transaction pooler.
_OWN_CONNECTION: dict[str, Any] = {"prepare_threshold": None}
_serial = itertools.count(1)  # log file names, unique across the supervisors of a run


class WorkerError(RuntimeError):
    """A worker never became ready; the message carries its log's tail."""


@dataclass
class Worker:
    engine: EngineKind
    process: subprocess.Popen[bytes]
    log: Path
    args: tuple[str, ...] = ()


@dataclass
class Supervisor:
    """Worker processes on the database at `url`, their logs in `log_dir`."""

    url: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    # Put before each worker's command line: `ip netns exec NS` to run it on a namespaced host.
    command_prefix: tuple[str, ...] = ()
    workers: list[Worker] = field(default_factory=list)
    kills: int = 0
    restarts: int = 0  # processes started in place of one that died or exited on its own
    exits: Counter[int] = field(default_factory=Counter)  # exit codes of processes not killed
    exited: list[Worker] = field(default_factory=list)  # those processes, for their logs
    _logs: list[Path] = field(default_factory=list)

    def _spawn(self, engine: EngineKind, args: Sequence[str] = ()) -> Worker:
        log = self.log_dir / f"worker-{next(_serial):04d}-{engine}.log"
        self._logs.append(log)
        env = dict(os.environ)
        env |= {
            "HANDOFF_DATABASE_URL": self.url,
            "HANDOFF_LOG_LEVEL": WORKER_LOG_LEVEL,
            "HANDOFF_LOG_FORMAT": "json",
        }
        env |= self.extra_env
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [
                    *self.command_prefix,
                    sys.executable,
                    "-c",
                    CLI_ENTRY,
                    "worker",
                    "--engine",
                    engine,
                    *args,
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=handle,
                start_new_session=True,
            )
        return Worker(engine, process, log, tuple(args))

    def start(
        self, engine: EngineKind, count: int = 1, *, args: Sequence[str] = (), wait: bool = True
    ) -> list[Worker]:
        """Start `count` processes (with extra CLI `args`); with `wait`, return once each
        works on the database."""
        since = self._database_now()
        started = [self._spawn(engine, args) for _ in range(count)]
        self.workers.extend(started)
        if wait:
            self.wait_ready(engine, count, since)
        return started

    def _database_now(self) -> float:
        with psycopg.connect(self.url, **_OWN_CONNECTION) as conn:
            row = conn.execute("SELECT extract(epoch FROM now())").fetchone()
        assert row is not None
        return float(row[0])

    def wait_ready(self, engine: EngineKind, count: int, since: float) -> None:
        """Wait until `count` queue workers (or one batch engine) checked in after `since`."""
        wanted = count * WORKERS_PER_PROCESS if engine == "queue" else 1
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        with psycopg.connect(self.url, autocommit=True, **_OWN_CONNECTION) as conn:
            while True:
                row = conn.execute(
                    _READY_QUEUE if engine == "queue" else _READY_BATCH, (since,)
                ).fetchone()
                if row and int(row[0]) >= wanted:
                    return
                if time.monotonic() > deadline:
                    tails = "\n".join(
                        w.log.read_text(errors="replace")[-LOG_TAIL_CHARS:] for w in self.workers
                    )
                    raise WorkerError(
                        f"{engine} workers not ready after {READY_TIMEOUT_SECONDS} s:\n{tails}"
                    )
                time.sleep(READY_POLL_SECONDS)

    def alive(self, engine: EngineKind | None = None) -> list[Worker]:
        return [
            w
            for w in self.workers
            if w.process.poll() is None and (engine is None or w.engine == engine)
        ]

    def kill(self, worker: Worker) -> None:
        """SIGKILL the process group: the worker gets no chance to release anything."""
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
        self.kills += 1
        self.workers.remove(worker)

    def restart_dead(self) -> int:
        """Start a new process for every one that is gone (killed or exited); how many."""
        replaced = 0
        for worker in list(self.workers):
            code = worker.process.poll()
            if code is None:
                continue
            self.exits[code] += 1
            self.exited.append(worker)
            self.workers.remove(worker)
            self.workers.append(self._spawn(worker.engine, worker.args))
            replaced += 1
        self.restarts += replaced
        return replaced

    def replace_killed(self, engine: EngineKind) -> Worker:
        """Start one process in place of a killed one (not counted as an unexpected exit)."""
        worker = self._spawn(engine)
        self.workers.append(worker)
        return worker

    def terminate(self, worker: Worker) -> None:
        """SIGTERM: the engine's graceful shutdown; SIGKILL only if it outlives the grace."""
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()
        self.workers.remove(worker)

    def stop(self) -> None:
        """Stop every process gracefully (killing what outlives the grace)."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for worker in self.workers:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()
        self.workers.clear()

    def exit_tails(self) -> list[str]:
        """The end of each exited process's log, with its exit code: why it exited."""
        return [
            f"exit code {w.process.returncode}:\n"
            + w.log.read_text(errors="replace")[-LOG_TAIL_CHARS:]
            for w in self.exited
        ]

    def log_events(self) -> Counter[str]:
        """How often each event was logged by this supervisor's processes so far."""
        events: Counter[str] = Counter()
        for path in self._logs:
            for line in path.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("event"), str):
                    events[record["event"]] += 1
        return events

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
