"""Engine fixtures: an async pool on the test database, and the engine's clock frozen.

The clock is the database's (`handoff_now()`), frozen through the seam at about the real
current time; tests move it forward to cross boundaries without sleeping, and every reader
(the engine, the triggers, the dispatcher's statements) sees the same instant.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.engine.process import Processor
from handoff.store.clock import ClockSeam

from .exactly_once import exactly_once


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False) as opened:
        yield opened


@pytest.fixture
def clock(db_url: str) -> ClockSeam:
    return ClockSeam(db_url, datetime.now(UTC))


@pytest.fixture
def processor(pool: AsyncConnectionPool[Any], clock: ClockSeam) -> Processor:
    """The engine's processor; asks for the clock so that time is frozen before it runs."""
    return Processor(pool)


HANDOFF = str(Path(sys.executable).with_name("handoff"))
Spawn = Callable[..., subprocess.Popen[bytes]]
LOG_TAIL = 15


@pytest.fixture
def spawn(db_url: str, tmp_path: Path) -> Iterator[Spawn]:
    """Start `handoff worker` processes; all are stopped (SIGTERM, then SIGKILL) afterwards,
    and the end of each one's log is printed (pytest shows it when the test failed). No job
    of theirs may fail on a unique violation or a deadlock, and the database may count no
    deadlock (`exactly_once`)."""
    with exactly_once(db_url, tmp_path), spawner(tmp_path, HANDOFF_DATABASE_URL=db_url) as start:
        yield start


@contextlib.contextmanager
def spawner(tmp_path: Path, **base_env: str) -> Iterator[Spawn]:
    """`spawn`, with the environment every worker gets (its database URL at least)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **env: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        proc = subprocess.Popen(
            [HANDOFF, "worker", *args],
            env=os.environ | {"HANDOFF_LOG_FORMAT": "json"} | base_env | env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for index, proc in enumerate(started):
        lines = (tmp_path / f"worker-{index}.log").read_text(errors="replace").splitlines()
        print(f"--- worker {index} {proc.args[2:]} exit {proc.returncode}, last lines:")
        print("\n".join(line[:300] for line in lines[-LOG_TAIL:]))
