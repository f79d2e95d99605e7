"""Fixtures for the deployment tests: a private PgBouncer (transaction mode) in front of the
test server, and `handoff worker` processes that reach the database through it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from engine.conftest import Spawn, spawner

from . import pgbouncer


@pytest.fixture(scope="session")
def bouncer(server_url: str) -> Iterator[str]:
    """The URL template (`{user}`, `{database}`) of a PgBouncer in front of the test server.

    Skipped without Debian's pgbouncer, unless HANDOFF_REQUIRE_PGBOUNCER is set (.ci/run
    installs it and sets it, so CI never skips these)."""
    if not pgbouncer.available():
        if os.environ.get("HANDOFF_REQUIRE_PGBOUNCER"):
            pytest.fail(f"{pgbouncer.BINARY} is missing (Debian's pgbouncer)")
        pytest.skip(f"{pgbouncer.BINARY} is missing (install Debian's pgbouncer)")
    user = str(conninfo_to_dict(server_url).get("user") or "postgres")
    with pgbouncer.running(server_url, users=(user,)) as template:
        yield template.replace("{user}", user)


@pytest.fixture
def pooled_url(bouncer: str, db_url: str) -> str:
    """The clean test database, through PgBouncer."""
    return bouncer.format(database=conninfo_to_dict(db_url)["dbname"])


@pytest.fixture
def pooled_spawn(pooled_url: str, tmp_path: Path) -> Iterator[Spawn]:
    """`handoff worker` processes in pooler mode, every connection through PgBouncer."""
    with spawner(
        tmp_path, HANDOFF_DATABASE_URL=pooled_url, HANDOFF_DATABASE_POOLER="transaction"
    ) as start:
        yield start
