"""A GoAlert database beside handoff's: GoAlert's schema (goalert_schema.sql, written from its
migrations) in a second database on the test server, its migrations recorded as GoAlert's
migrate package records them (goalert_migrations.txt), filled through GoAlert's own triggers."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from typer.testing import CliRunner, Result

from handoff.cli.main import app
from handoff.store.db import connect

SCHEMA = Path(__file__).with_name("goalert_schema.sql")
MIGRATIONS = Path(__file__).with_name("goalert_migrations.txt")
# GoAlert's migrate/migrate.go: each migration's own transaction ends with this statement, its
# id being the migration's file name (`fs.ReadDir("migrations")`), .sql included.
RECORD_MIGRATION = "insert into gorp_migrations (id, applied_at) values (%s, now())"
GOALERT_TABLES = (
    "users",
    "rotations",
    "rotation_participants",
    "rotation_state",
    "gorp_migrations",
)


def goalert_migrations(through: str | None = None) -> list[str]:
    """GoAlert's migration ids in the order it applies them, up to and including `through`."""
    ids = [
        line
        for line in MIGRATIONS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return ids if through is None else ids[: ids.index(through) + 1]


def record_migrations(url: str, ids: list[str]) -> None:
    """Record migrations as GoAlert applies them: each in its own transaction, in order."""
    with connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")  # a test's database: no wait on disk
        conn.execute("DELETE FROM gorp_migrations")
        for migration in ids:
            with conn.transaction():
                conn.execute(RECORD_MIGRATION, (migration,))


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@pytest.fixture(scope="session")
def goalert_server_db(server_url: str) -> Iterator[str]:
    name = f"goalert_test_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def goalert_url(goalert_server_db: str) -> str:
    """GoAlert's schema, freshly created (a test may break it: drop a column, a migration)."""
    with connect(goalert_server_db, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        conn.execute(SCHEMA.read_text())
    record_migrations(goalert_server_db, goalert_migrations())
    return goalert_server_db


@dataclass
class Cli:
    env: dict[str, str]

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env, catch_exceptions=False)

    def json(self, *args: str, code: int = 0) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return json.loads(result.stdout)

    def refused(self, *args: str) -> str:
        """Exit code 2 and exactly one line on stderr."""
        result = self(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return Cli(
        {
            "HANDOFF_DATABASE_URL": db_url,
            "HANDOFF_DATA_DIR": str(tmp_path),
            "HANDOFF_LOG_LEVEL": "warning",
            "COLUMNS": "200",
        }
    )
