"""Where the chaos suite runs: a PostgreSQL server it may restart, and a fresh database on it.

Without HANDOFF_DATABASE_URL the suite starts a private embedded server in a temporary
directory, which it can stop and start again (the outage fault). With a URL it uses that
server as is and simulates an outage by terminating every connection to its own database
with pg_terminate_backend, since it must not stop a server it does not own. Either way it
works only in `handoff_chaos_<random>`, dropped at the end even when a fault raises.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from handoff.embedded_pg import EmbeddedPostgres
from handoff.store import migrate

DATABASE_PREFIX = "handoff_chaos_"
TEMP_DIR_PREFIX = "hochaos-"  # short: the embedded server's socket path is limited to 107 bytes

# The suite's own record, in its database, of each rotation's state before the fault: the
# invariant checker recomputes everything from it, the grid and the recorded history.
BASELINE_TABLE = """
CREATE TABLE chaos_baseline (
    rotation_id uuid PRIMARY KEY REFERENCES rotations (id) ON DELETE CASCADE,
    fault text NOT NULL,
    position integer NOT NULL,
    participant_id uuid NOT NULL,
    shift_start timestamptz NOT NULL
)
"""


@dataclass
class ChaosServer:
    """The server: `url` names any database on it; `embedded` is set when we may restart it."""

    url: str
    embedded: EmbeddedPostgres | None

    @property
    def can_restart(self) -> bool:
        return self.embedded is not None

    def stop(self) -> None:
        assert self.embedded is not None, "only the private embedded server is ever stopped"
        self.embedded.stop()

    def start(self) -> None:
        assert self.embedded is not None
        self.embedded.ensure_started()

    def describe(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        version = row[0] if row else "?"
        where = "embedded, temporary" if self.embedded else "HANDOFF_DATABASE_URL"
        return f"PostgreSQL {version} ({where})"


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name`."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@contextlib.contextmanager
def chaos_server(database_url: str | None) -> Iterator[ChaosServer]:
    """The user's server when a URL is set, else a private embedded one, removed afterwards."""
    if database_url:
        yield ChaosServer(database_url, None)
        return
    data_dir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX))
    embedded = EmbeddedPostgres(data_dir)
    try:
        embedded.ensure_started()
        yield ChaosServer(embedded.url(), embedded)
    finally:
        with contextlib.suppress(Exception):
            embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _admin(server: ChaosServer) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(server.url, autocommit=True, connect_timeout=10)


@contextlib.contextmanager
def empty_database(server: ChaosServer) -> Iterator[str]:
    """Create `handoff_chaos_<random>`, empty, yield its URL, and always drop it."""
    name = DATABASE_PREFIX + secrets.token_hex(4)
    with _admin(server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server.url, name)
    finally:
        # The outage fault may have left the server stopped when it failed half-way.
        if server.embedded is not None and not server.embedded.is_running():
            server.start()
        with _admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_database(server: ChaosServer) -> Iterator[str]:
    """A new database (`empty_database`), migrated, with the suite's baseline table."""
    with empty_database(server) as url:
        migrate.upgrade(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BASELINE_TABLE)
        yield url


def terminate_connections(url: str) -> int:
    """Terminate every other connection to the database at `url`; returns how many."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(1 for (done,) in rows if done)


def chaos_databases(server_url: str) -> list[str]:
    """Names of chaos databases on the server (none should outlive a run)."""
    with psycopg.connect(server_url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname",
            (DATABASE_PREFIX + "%",),
        ).fetchall()
    return [str(r[0]) for r in rows]
