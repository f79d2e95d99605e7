"""A worker started while its database is away (a restart, a failover) waits for it and goes
on, with no supervisor (engine.md, "Real-world conditions")."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from handoff.embedded_pg import EmbeddedPostgres
from handoff.store import migrate

from .conftest import HANDOFF

pytestmark = pytest.mark.e2e


def _wait_for(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        assert time.monotonic() < deadline, path.read_text(errors="replace")[-2000:]
        time.sleep(0.2)


def test_a_worker_started_while_the_database_is_down_waits_for_it(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg")
    assert server.ensure_started()
    url = server.url()
    migrate.upgrade(url)
    server.stop()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [HANDOFF, "worker", "--concurrency", "1"],
            env=os.environ | {"HANDOFF_DATABASE_URL": url, "HANDOFF_LOG_FORMAT": "json"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(log, "waiting for the database", 30)
        assert worker.poll() is None
        server.ensure_started()
        _wait_for(log, "queue engine started", 60)
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
