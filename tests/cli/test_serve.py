"""`handoff api` and `handoff up` as real processes: they serve, answer, and stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from handoff import demo
from handoff.chaos.api import listening_url, wait_for

from .conftest import Cli

HANDOFF = str(Path(sys.executable).parent / "handoff")
START_TIMEOUT = 60.0


@dataclass
class Served:
    """A server process, its stdout and stderr kept in files, and the address it printed."""

    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    base: str = ""


def _wait_for(served: Served, path: str) -> None:
    """Until `path` answers 200 at the address the process printed once it listened."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{served.base}{path}", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert served.proc.poll() is None, served.stderr.read_text()
        assert time.monotonic() < deadline, f"{path} at {served.base} did not answer 200 in time"
        time.sleep(0.2)


@contextmanager
def serving(cli: Cli, out: Path, *args: str, path: str = "/healthz") -> Iterator[Served]:
    """`handoff ARGS --port 0` answering `path`: the port is the one the server bound and
    printed ("handoff is at ..."), so no other process can hold it."""
    with process(cli, out, *args, "--port", "0") as served:
        served.base = wait_for(served.stdout, served.proc, listening_url, START_TIMEOUT)
        _wait_for(served, path)
        yield served


@contextmanager
def process(cli: Cli, out: Path, *args: str) -> Iterator[Served]:
    env = os.environ | cli.env | {"HANDOFF_LOG_FORMAT": "json", "HANDOFF_LOG_LEVEL": "info"}
    out.mkdir(parents=True, exist_ok=True)
    with (out / "stdout").open("wb") as stdout, (out / "stderr").open("wb") as stderr:
        proc = subprocess.Popen([HANDOFF, *args], env=env, stdout=stdout, stderr=stderr)
    try:
        yield Served(proc, out / "stdout", out / "stderr")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise


def _stop(served: Served) -> str:
    """SIGTERM, then a graceful exit: the app's shutdown (engine, pool) ran to completion."""
    served.proc.send_signal(signal.SIGTERM)
    served.proc.wait(timeout=30)
    stderr = served.stderr.read_text()
    assert served.proc.returncode == 0, stderr
    assert "Application shutdown complete" in stderr
    return served.stdout.read_text()


def test_api_serves_until_sigterm(cli: Cli, tmp_path: Path) -> None:
    token = cli.ok("token", "create", "--name", "t", "--role", "reader", "--quiet").stdout.strip()
    with serving(cli, tmp_path / "api", "api") as served:
        base = served.base
        assert httpx.get(f"{base}/readyz").status_code == 200
        users = httpx.get(f"{base}/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert users.json() == {"items": [], "next_cursor": None}
        _stop(served)


def test_up_with_demo(cli: Cli, tmp_path: Path) -> None:
    # /readyz: the worker checked in
    with serving(cli, tmp_path / "first", "up", "--demo", path="/readyz") as served:
        base = served.base
        stdout = _stop(served)
    token_file = tmp_path / "admin-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    # Piped (as under a service manager, whose journal keeps it): where the token is, not it.
    assert token not in stdout and "hoff_" not in stdout
    assert f"admin token written to {token_file} (mode 0600)" in stdout
    assert base in stdout
    with serving(cli, tmp_path / "again", "up", "--demo") as served:
        base = served.base
        headers = {"Authorization": f"Bearer {token}"}
        rotations = httpx.get(f"{base}/api/v1/rotations", headers=headers).json()["items"]
        stdout = _stop(served)
    assert "hoff_" not in stdout  # the token is printed once, on the first start
    assert len(rotations) == len(demo.ROTATIONS) + len(demo.SUN)  # loaded once
    assert {r["type"] for r in rotations} == {"hourly", "daily", "weekly", "monthly"}
    assert len({r["time_zone"] for r in rotations}) >= 4
    assert any(r["shift_length"] > 1 for r in rotations)
    always = {name for name, *_ in demo.ROTATIONS}  # the follow-the-sun ones keep hours
    assert all(r["on_call_user_id"] for r in rotations if r["name"] in always)
