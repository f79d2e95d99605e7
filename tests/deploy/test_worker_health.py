"""A worker's health probes and its stop on SIGTERM within HANDOFF_SHUTDOWN_SECONDS, whether or
not its database answers (deploy.md, "Processes").

"Cut off" is PgBouncer frozen with SIGSTOP between the worker and PostgreSQL: the worker's
connections stay open and hang, as across a network partition; nothing fails fast.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from psycopg.conninfo import conninfo_to_dict

from engine import test_processes as processes
from engine.conftest import Spawn, spawner
from engine.helpers import Conn
from handoff.chaos.api import logged_port, wait_for
from handoff.chaos.pgbouncer import Bouncer

from .conftest import server_user

pytestmark = pytest.mark.e2e

SHUTDOWN_SECONDS = 4  # HANDOFF_SHUTDOWN_SECONDS for these workers
START_SECONDS = 60.0  # for a worker to bind its health port
EXIT_SLACK = 1.5  # seconds for the interpreter's own exit on a shared machine


def _health_port(tmp_path: Path, worker: subprocess.Popen[bytes]) -> int:
    """The port the test's first worker, started with port 0, bound: its log says."""
    found = logged_port("health endpoints served")
    return wait_for(tmp_path / "worker-0.log", worker, found, START_SECONDS)


def _get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)


@pytest.fixture
def cut_off_spawn(
    own_bouncer: Bouncer, db_url: str, server_url: str, tmp_path: Path
) -> Iterator[Spawn]:
    url = own_bouncer.url(server_user(server_url), str(conninfo_to_dict(db_url)["dbname"]))
    with spawner(
        tmp_path,
        HANDOFF_DATABASE_URL=url,
        HANDOFF_DATABASE_POOLER="transaction",
        HANDOFF_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS),
    ) as start:
        yield start


def test_probes_answer_alive_ready_and_not_found(conn: Conn, spawn: Spawn, tmp_path: Path) -> None:
    port = _health_port(tmp_path, spawn("--health-port", "0"))
    processes._wait_for_workers(conn, 1)
    processes._wait(lambda: _get(port, "/readyz").status_code == 200, 10, "readiness")
    assert _get(port, "/readyz").text == "ready\n"
    assert _get(port, "/healthz").status_code == 200
    assert _get(port, "/nothing").status_code == 404


def test_readyz_is_503_while_the_database_hangs_and_200_again_after(
    conn: Conn, own_bouncer: Bouncer, cut_off_spawn: Spawn, tmp_path: Path
) -> None:
    port = _health_port(tmp_path, cut_off_spawn("--health-port", "0"))
    processes._wait_for_workers(conn, 1)
    processes._wait(lambda: _get(port, "/readyz").status_code == 200, 10, "readiness")
    own_bouncer.process.send_signal(signal.SIGSTOP)
    try:
        began = time.monotonic()
        answer = _get(port, "/readyz")
        assert answer.status_code == 503
        assert time.monotonic() - began < 4  # the probe never hangs with the database
        assert "did not answer" in answer.text
        assert _get(port, "/healthz").status_code == 200
    finally:
        own_bouncer.process.send_signal(signal.SIGCONT)
    processes._wait(lambda: _get(port, "/readyz").status_code == 200, 15, "readiness again")


@pytest.mark.parametrize("database", ["answering", "cut off", "gone"])
def test_sigterm_stops_the_worker_within_the_shutdown_seconds(
    conn: Conn, own_bouncer: Bouncer, cut_off_spawn: Spawn, database: str
) -> None:
    worker = cut_off_spawn()
    processes._wait_for_workers(conn, 1)
    if database == "cut off":
        own_bouncer.process.send_signal(signal.SIGSTOP)
    elif database == "gone":
        own_bouncer.process.kill()
        own_bouncer.process.wait()
    try:
        time.sleep(1)  # the worker's loops meet the database as it is now
        began = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=SHUTDOWN_SECONDS + 10)
        took = time.monotonic() - began
    finally:
        own_bouncer.process.send_signal(signal.SIGCONT)
    print(f"\ndatabase {database}: exit {code} {took:.2f} s after SIGTERM")
    assert took <= SHUTDOWN_SECONDS + EXIT_SLACK
    if database == "answering":
        assert code == 0
        assert processes._scalar(conn, "SELECT count(*) FROM procrastinate_workers") == 0
