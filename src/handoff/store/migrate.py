"""Schema migrations, run by Alembic from the plain SQL files in `store/sql/`.

Alembic and SQLAlchemy cost most of a second to import, so they are imported only when a
migration runs: `upgrade` first reads the applied revision with psycopg and compares it with the
head read from the revision files, and on a current database (every command after the first)
it returns without them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from handoff.store.db import connection_options, sqlalchemy_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQL_DIR = Path(__file__).parent / "sql"
_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*(?:"([^"]*)"|None)\s*$', re.MULTILINE)


# Read by migrations/env.py: psycopg's arguments for the migration's connection.
CONNECT_ARGS = "handoff.connect_args"


def _config(url: str, pooled: bool = False) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is an INI parser: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    config.attributes[CONNECT_ARGS] = connection_options(pooled)
    return config


def upgrade(url: str, revision: str = "head", *, pooled: bool = False) -> None:
    """Apply every migration not applied yet, up to `revision` (a no-op on a current database).

    One transaction, serialised by a transaction-level advisory lock (migrations/env.py), so it
    runs through a transaction pooler too (`pooled`: no prepared statements).
    """
    if revision == "head" and applied_revision(url, pooled=pooled) == head_revision():
        return
    from alembic import command

    command.upgrade(_config(url, pooled), revision)


@cache
def head_revision() -> str:
    """The revision no other revision follows, from the revision files' own assignments (as
    Alembic reads them; a test holds the two equal)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text()):
            if value:
                (revisions if key == "revision" else followed).add(value)
    heads = revisions - followed
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def applied_revision(url: str, *, pooled: bool = False) -> str | None:
    """The revision recorded in the database; None before the first migration."""
    with psycopg.connect(url, autocommit=True, **connection_options(pooled)) as conn:
        found = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not found or not found[0]:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def current_revision(url: str, *, pooled: bool = False) -> str | None:
    """The revision as Alembic itself reads it."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(
        sqlalchemy_url(url), poolclass=NullPool, connect_args=connection_options(pooled)
    )
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def is_current(url: str) -> bool:
    return current_revision(url) == head_revision()


def execute_script(sql: str) -> None:
    """Run a multi-statement SQL script inside the migration's transaction, unparsed.

    Goes to psycopg directly: SQLAlchemy would pass an empty parameter set, and psycopg would
    then read every `%` in the script (plpgsql's RAISE format strings) as a placeholder.
    """
    from alembic import op

    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute(sql)


def execute_file(name: str) -> None:
    execute_script((SQL_DIR / name).read_text())
