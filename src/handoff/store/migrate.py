"""Schema migrations, run by Alembic from the plain SQL files in `store/sql/`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from handoff.store.db import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQL_DIR = Path(__file__).parent / "sql"


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is an INI parser: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration not applied yet up to `revision` (a no-op on a current
    database)."""
    command.upgrade(_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config("postgresql://unused")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
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
