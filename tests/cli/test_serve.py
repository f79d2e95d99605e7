"""`handoff api` and `handoff up` as real processes: they serve, answer, and stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from handoff import demo

from .conftest import Cli

HANDOFF = str(Path(sys.executable).parent / "handoff")
START_TIMEOUT = 60.0


PORT_TRIES = 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listens(proc: subprocess.Popen[str], port: int) -> bool:
    """Whether `proc` itself (not another process that took the port) listens on `port`."""
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr.port == port
        for c in psutil.Process(proc.pid).net_connections(kind="tcp")
    )


def _wait_for(proc: subprocess.Popen[str], port: int, path: str) -> bool:
    """Until `path` answers 200 from `proc` itself; False if `proc` exited first (its port
    was taken)."""
    deadline = time.monotonic() + START_TIMEOUT
    while proc.poll() is None:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            if response.status_code == 200 and _listens(proc, port):
                return True
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} on port {port} did not answer 200 in time")
        time.sleep(0.2)
    return False


@contextmanager
def serving(
    cli: Cli, *args: str, path: str = "/healthz"
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`handoff ARGS --port P` answering `path`, and P. The CLI takes no port 0, so a free
    port is guessed; a guess another process took meanwhile makes the server exit (address
    in use), and another port is tried. The answer must come from this process, listening:
    never from whatever else holds the port."""
    for _ in range(PORT_TRIES):
        port = _free_port()
        with process(cli, *args, "--port", str(port)) as proc:
            if _wait_for(proc, port, path):
                yield proc, port
                return
            _, stderr = proc.communicate(timeout=30)
            assert "address already in use" in stderr.lower(), stderr
    raise AssertionError(f"no free port in {PORT_TRIES} tries")


@contextmanager
def process(cli: Cli, *args: str) -> Iterator[subprocess.Popen[str]]:
    env = os.environ | cli.env | {"HANDOFF_LOG_FORMAT": "json", "HANDOFF_LOG_LEVEL": "info"}
    proc = subprocess.Popen(
        [HANDOFF, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise


def _stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, then a graceful exit: the app's shutdown (engine, pool) ran to completion."""
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Application shutdown complete" in stderr
    return stdout


def test_api_serves_until_sigterm(cli: Cli) -> None:
    token = cli.ok("token", "create", "--name", "t", "--role", "reader", "--quiet").stdout.strip()
    with serving(cli, "api") as (proc, port):
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/readyz").status_code == 200
        users = httpx.get(f"{base}/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert users.json() == {"items": [], "next_cursor": None}
        _stop(proc)


def test_up_with_demo(cli: Cli, tmp_path: Path) -> None:
    with serving(cli, "up", "--demo", path="/readyz") as (proc, port):  # the worker checked in
        base = f"http://127.0.0.1:{port}"
        stdout = _stop(proc)
    token_file = tmp_path / "admin-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    # Piped (as under a service manager, whose journal keeps it): where the token is, not it.
    assert token not in stdout and "hoff_" not in stdout
    assert f"admin token written to {token_file} (mode 0600)" in stdout
    assert base in stdout
    with serving(cli, "up", "--demo") as (proc, port):
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        rotations = httpx.get(f"{base}/api/v1/rotations", headers=headers).json()["items"]
        stdout = _stop(proc)
    assert "hoff_" not in stdout  # the token is printed once, on the first start
    assert len(rotations) == len(demo.ROTATIONS) + len(demo.SUN)  # loaded once
    assert {r["type"] for r in rotations} == {"hourly", "daily", "weekly", "monthly"}
    assert len({r["time_zone"] for r in rotations}) >= 4
    assert any(r["shift_length"] > 1 for r in rotations)
    always = {name for name, *_ in demo.ROTATIONS}  # the follow-the-sun ones keep hours
    assert all(r["on_call_user_id"] for r in rotations if r["name"] in always)
