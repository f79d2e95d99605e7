"""Where the bench runs: a PostgreSQL server, and fresh databases on it that are always dropped.

The bench never touches a user's data. It works in databases it creates
(`handoff_bench_<random>`) and drops afterwards, also when a scenario raises or the user presses
Ctrl-C. Without HANDOFF_DATABASE_URL it starts its own embedded server in a temporary directory
(which preloads pg_stat_statements); with it, it uses that server as is and falls back to
pg_stat_database when pg_stat_statements is not loaded there.
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

DATABASE_PREFIX = "handoff_bench_"
TEMP_DIR_PREFIX = "hobench-"  # short: the embedded server's socket path is limited to 107 bytes

# The bench's own bookkeeping, created in each fresh database: the instant each rotation was
# made due, from which lag is measured (see population.py for why it is not boundary_at).
BENCH_DUE_TABLE = """
CREATE TABLE bench_due (rotation_id uuid PRIMARY KEY, due_at timestamptz NOT NULL)
"""


class RefusedError(RuntimeError):
    """The target database holds real rotations and --force was not given."""


@dataclass(frozen=True, slots=True)
class Server:
    """A server the bench may create databases on. `url` names any database on it."""

    url: str
    embedded: bool


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def bench_server(database_url: str | None) -> Iterator[Server]:
    """The user's server when a URL is set, else a private embedded one, removed afterwards."""
    if database_url:
        yield Server(database_url, embedded=False)
        return
    data_dir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX))
    try:
        with EmbeddedPostgres(data_dir).running() as url:
            yield Server(url, embedded=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def rotation_count(url: str) -> int:
    """How many rotations the database at `url` holds (0 when it has no handoff schema)."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SELECT to_regclass('public.rotations') IS NOT NULL").fetchone()
        if row is None or not row[0]:
            return 0
        counted = conn.execute("SELECT count(*) FROM rotations").fetchone()
        return int(counted[0]) if counted else 0


def refuse_if_in_use(url: str, *, force: bool) -> None:
    """Raise RefusedError when the user's database has rotations, unless forced.

    The bench only writes to its own fresh databases, but it loads the server heavily; on a
    server with real rotations that is a decision the user makes explicitly.
    """
    if force:
        return
    count = rotation_count(url)
    if count:
        raise RefusedError(
            f"the database at HANDOFF_DATABASE_URL holds {count} rotations: the bench would load "
            "that server heavily (it works in its own temporary databases); pass --force to run "
            "anyway, or unset HANDOFF_DATABASE_URL to bench a private embedded server"
        )


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create and migrate `handoff_bench_<random>`, yield its URL, and always drop it."""
    name = DATABASE_PREFIX + secrets.token_hex(4)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    try:
        migrate.upgrade(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BENCH_DUE_TABLE)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_databases(server_url: str) -> list[str]:
    """Names of bench databases on the server (none should outlive a run)."""
    with psycopg.connect(server_url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname",
            (DATABASE_PREFIX + "%",),
        ).fetchall()
    return [r[0] for r in rows]
