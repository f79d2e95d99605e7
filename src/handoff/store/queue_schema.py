"""Procrastinate's schema, installed and upgraded with its own migration files (engine.md).

The queue library's version is part of handoff's schema: our SQL inserts into its jobs table
and imitates its NOTIFY, so a release that changed either must not slip under a running
deployment. So the version is pinned (`PINNED`, the same as in pyproject.toml), and
nothing runs against another installed release:

- migration 0001 installs the pinned release's schema and records its version in
  `handoff_queue_schema` (databases from before the record existed were made at 3.10.0,
  which migration 0003 records);
- every `handoff migrate` (Alembic's environment calls `upgrade`, in the same transaction)
  applies Procrastinate's own migration files of the versions after the recorded one, up to
  the pinned one, and records it.

A database created at an earlier pin and migrated therefore equals a fresh one; the tests
check that, and that a fresh one equals the installed release's own schema.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata, resources
from typing import Any

from procrastinate.schema import SchemaManager

PINNED = "3.10.0"

Version = tuple[int, int, int]
RECORD_TABLE = """
CREATE TABLE IF NOT EXISTS handoff_queue_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version text NOT NULL
)"""
_FILE = re.compile(r"^(\d+)\.(\d+)\.(\d+)_(\d+)_.*\.sql$")


def parse(version: str) -> Version:
    major, minor, patch = (int(part) for part in version.split(".")[:3])
    return major, minor, patch


@cache
def migration_files() -> tuple[tuple[Version, str], ...]:
    """Procrastinate's migration files, (version, name), in the order they apply."""
    folder = resources.files("procrastinate.sql.migrations")
    found: list[tuple[Version, int, str]] = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            major, minor, patch, step = (int(g) for g in match.groups())
            found.append(((major, minor, patch), step, entry.name))
    return tuple((version, name) for version, _, name in sorted(found))


def file_text(name: str) -> str:
    return resources.files("procrastinate.sql.migrations").joinpath(name).read_text()


def script(after: Version, upto: Version) -> str:
    """The migration files for the versions in (after, upto], as one script."""
    return "\n".join(
        file_text(name) for version, name in migration_files() if after < version <= upto
    )


def install(conn: Any) -> None:
    """Create the pinned release's schema and record its version (migration 0001)."""
    check_installed()
    conn.execute(SchemaManager.get_schema())
    conn.execute(RECORD_TABLE)
    conn.execute("INSERT INTO handoff_queue_schema (version) VALUES (%s)", (PINNED,))


def check_installed() -> None:
    """The installed Procrastinate must be the pinned one; anything else is refused."""
    installed = metadata.version("procrastinate")
    if installed != PINNED:
        raise RuntimeError(
            f"procrastinate {installed} is installed, but handoff is pinned to {PINNED}: "
            "install handoff's own requirements"
        )


def upgrade(conn: Any) -> list[str]:
    """Bring the database's Procrastinate schema to PINNED, within the caller's transaction.

    `conn` is a psycopg connection. Returns the names of the files applied.
    """
    check_installed()
    if conn.execute("SELECT to_regclass('handoff_queue_schema')").fetchone()[0] is None:
        return []  # migrated to a revision before the version was recorded
    row = conn.execute("SELECT version FROM handoff_queue_schema").fetchone()
    recorded = parse(row[0])
    pinned = parse(PINNED)
    if recorded >= pinned:
        return []
    applied = [name for version, name in migration_files() if recorded < version <= pinned]
    body = script(recorded, pinned)
    if body:
        conn.execute(body)
    conn.execute("UPDATE handoff_queue_schema SET version = %s", (PINNED,))
    return applied
