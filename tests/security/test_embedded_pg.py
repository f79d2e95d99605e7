"""The embedded PostgreSQL is private: a socket in its own 0700 directory, no TCP port unless
asked (then 127.0.0.1 only), and, when started by root, an unprivileged server process that
other local users cannot reach."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from handoff import embedded_pg
from handoff.embedded_pg import SERVER_USER, EmbeddedPostgres, server_install_dir

OTHER_USER = "nobody"
TCP_TIMEOUT_SECONDS = 2
SYSTEM_ID = "SELECT system_identifier FROM pg_control_system()"  # unique per cluster


@pytest.fixture
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    # A short path: the socket path inside it is limited to 107 bytes.
    data_dir = Path(tmp_path_factory.mktemp("pg"))
    server = EmbeddedPostgres(data_dir)
    try:
        with server.running():
            yield server
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _setting(server: EmbeddedPostgres, name: str) -> str:
    with psycopg.connect(server.url()) as conn:
        row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
    assert row is not None
    return str(row[0])


def _setting_sql(url: str, query: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return str(row[0])


def _postmaster(server: EmbeddedPostgres) -> psutil.Process:
    pid = int((server.pgdata / "postmaster.pid").read_text().splitlines()[0])
    return psutil.Process(pid)


def _expected_owner() -> int:
    return pwd.getpwnam(SERVER_USER).pw_uid if os.geteuid() == 0 else os.geteuid()


def test_listens_on_no_interface_by_default(private_server: EmbeddedPostgres) -> None:
    assert _setting(private_server, "listen_addresses") == ""
    assert _setting(private_server, "unix_socket_directories") == str(private_server.pgdata)
    port = int(_setting(private_server, "port"))
    ours = _setting_sql(private_server.url(), SYSTEM_ID)
    for host in ("127.0.0.1", "::1", socket.gethostname()):
        # Another server (the machine's own) may own the port; it must not be this one.
        try:
            theirs = _setting_sql(
                f"postgresql://postgres@/postgres?host={host}&port={port}"
                f"&connect_timeout={TCP_TIMEOUT_SECONDS}",
                SYSTEM_ID,
            )
        except psycopg.OperationalError:
            continue
        assert theirs != ours, f"the embedded server answered over TCP on {host}:{port}"
    # No listening TCP socket at all for the postmaster, on any address.
    listening = [
        c
        for c in _postmaster(private_server).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening == []


def test_data_and_socket_directory_is_private(private_server: EmbeddedPostgres) -> None:
    info = private_server.pgdata.stat()
    assert stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == _expected_owner()
    assert _setting(private_server, "unix_socket_permissions") == "0700"
    sock = private_server.pgdata / ".s.PGSQL.5432"
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert sock.stat().st_uid == _expected_owner()


def test_a_port_taken_before_the_server_binds_it_is_traded_for_another(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL cannot bind port 0, so the embedded server takes a port found free; the race
    that finding loses (another process binds it first) is forced here: the first port offered
    is one this test listens on."""
    data_dir = Path(tmp_path_factory.mktemp("pgtaken"))
    found_free = embedded_pg._free_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        offered = [taken.getsockname()[1]]
        monkeypatch.setattr(
            embedded_pg, "_free_port", lambda host: offered.pop() if offered else found_free(host)
        )
        server = EmbeddedPostgres(data_dir, listen_host="127.0.0.1")
        try:
            with server.running():
                assert not offered  # the taken port was tried first
                assert int(_setting(server, "port")) != taken.getsockname()[1]
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def test_tcp_only_on_loopback_when_asked(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = Path(tmp_path_factory.mktemp("pgtcp"))
    server = EmbeddedPostgres(data_dir, listen_host="127.0.0.1")
    try:
        with server.running():
            assert _setting(server, "listen_addresses") == "127.0.0.1"
            addresses = {
                c.laddr.ip
                for c in _postmaster(server).net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN
            }
            assert addresses == {"127.0.0.1"}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only root can start it as another user")


@root_only
def test_as_root_the_server_runs_unprivileged(private_server: EmbeddedPostgres) -> None:
    server_uid = pwd.getpwnam(SERVER_USER).pw_uid
    postmaster = _postmaster(private_server)
    assert postmaster.uids().real == postmaster.uids().effective == server_uid
    for child in postmaster.children():
        try:
            effective = child.uids().effective
        except psutil.NoSuchProcess:
            continue  # a backend that exited between the listing and the look
        assert effective == server_uid


@root_only
def test_another_local_user_cannot_connect(private_server: EmbeddedPostgres) -> None:
    psql = str(server_install_dir() / "bin" / "psql")
    command = [psql, "-h", str(private_server.pgdata), "-U", "postgres", "-c", "SELECT 1"]
    # The same command works for the user who started the server...
    mine = subprocess.run(command, capture_output=True, text=True, cwd="/")
    assert mine.returncode == 0, mine.stderr
    # ...and is refused to another unprivileged user: the socket's directory is closed.
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    theirs = subprocess.run(
        [
            setpriv,
            f"--reuid={OTHER_USER}",
            f"--regid={pwd.getpwnam(OTHER_USER).pw_gid}",
            "--init-groups",
            *command,
        ],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert theirs.returncode != 0
    assert "Permission denied" in theirs.stderr, theirs.stderr
