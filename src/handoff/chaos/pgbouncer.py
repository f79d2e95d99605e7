"""A private PgBouncer in transaction pooling mode in front of a server: the deployment tests'
and the namespaced-hosts fault of `handoff chaos`.

Debian's `pgbouncer` (installed by .ci/run). It listens on a Unix socket in a directory of its
own, so no TCP port is taken or raced for; its configuration, user list and log live there too.
Every database name passes through to the test server under the client's own user name
(`auth_type = trust` here; the server decides as it would for a direct connection).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PORT = 6432  # names the socket file only
STARTUP_TIMEOUT = 10.0
POOL_SIZE = 20  # server connections per (database, user): fewer than the clients' connections


def available() -> bool:
    return os.access(BINARY, os.X_OK)


def _run_as(server_host: str) -> str | None:
    """PgBouncer refuses to run as root: as root, run it as the user owning the server's socket
    directory (who can reach the socket), or as `nobody` for a TCP server."""
    if os.geteuid() != 0:
        return None
    if server_host.startswith("/"):
        _traversable(Path(server_host))
        return pwd.getpwuid(os.stat(server_host).st_uid).pw_name
    return "nobody"


def _traversable(socket_dir: Path) -> None:
    """Let others pass through the test's own temporary directories above a server's socket
    directory (an embedded test server's data directory sits in a private one)."""
    temp = Path(tempfile.gettempdir())
    for parent in socket_dir.parents:
        if parent == temp or temp not in parent.parents:
            break
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


@dataclass(frozen=True)
class Bouncer:
    template: str  # a URL through the pooler, `{user}` and `{database}` to fill in
    process: subprocess.Popen[bytes]  # to freeze it (SIGSTOP) as a cut-off network would

    def url(self, user: str, database: str) -> str:
        return self.template.format(user=user, database=database)


@contextlib.contextmanager
def running(
    server_url: str, users: tuple[str, ...] = ("postgres",), listen_addr: str = ""
) -> Iterator[Bouncer]:
    """Start PgBouncer in front of the server of `server_url`, and stop it afterwards.

    `listen_addr`: also listen on this TCP address (port PORT), for other network namespaces.
    """
    server = conninfo_to_dict(server_url)
    host = str(server.get("host") or "127.0.0.1")
    port = str(server.get("port") or 5432)
    directory = Path(tempfile.mkdtemp(prefix="pgb-"))  # short: a socket path has 107 bytes
    user = _run_as(host)
    (directory / "users.txt").write_text("".join(f'"{name}" ""\n' for name in users))
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={port}\n"
        "[pgbouncer]\n"
        f"listen_addr = {listen_addr}\n"
        f"listen_port = {PORT}\n"
        f"unix_socket_dir = {directory}\n"
        "auth_type = trust\n"
        f"auth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\n"
        "max_client_conn = 1000\n"
        f"default_pool_size = {POOL_SIZE}\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        # a login refused while the database restarts is retried after 1 s, not the default 15
        "server_login_retry = 1\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
    )
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (directory, *directory.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    command = [BINARY, *(["-u", user] if user else []), str(directory / "pgbouncer.ini")]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    template = f"postgresql://{{user}}@/{{database}}?host={quote(str(directory))}&port={PORT}"
    try:
        _wait_until_up(proc, template.format(user=users[0], database="postgres"), directory)
        yield Bouncer(template, proc)
    finally:
        proc.send_signal(signal.SIGCONT)  # in case a test left it frozen
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, directory: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            psycopg.connect(url, connect_timeout=2, prepare_threshold=None).close()
            return
        except psycopg.OperationalError:
            if proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
        log = directory / "pgbouncer.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"pgbouncer did not start (exit {proc.poll()}): {tail}")
