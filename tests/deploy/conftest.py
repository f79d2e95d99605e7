"""Fixtures for the deployment tests: a private PgBouncer (transaction mode) in front of the
test server, and `handoff worker` processes that reach the database through it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from engine.conftest import Spawn, spawn, spawner  # noqa: F401  (spawn: the engine's fixture)
from handoff.chaos import pgbouncer


def pgbouncer_required() -> None:
    """Skip the test without Debian's pgbouncer, unless HANDOFF_REQUIRE_PGBOUNCER is set
    (.ci/run installs it and sets it, so CI never skips these)."""
    if not pgbouncer.available():
        if os.environ.get("HANDOFF_REQUIRE_PGBOUNCER"):
            pytest.fail(f"{pgbouncer.BINARY} is missing (Debian's pgbouncer)")
        pytest.skip(f"{pgbouncer.BINARY} is missing (install Debian's pgbouncer)")


def _bouncer(server_url: str) -> Iterator[pgbouncer.Bouncer]:
    """A PgBouncer in front of the test server."""
    pgbouncer_required()
    with pgbouncer.running(server_url, users=(server_user(server_url),)) as bouncer:
        yield bouncer


def server_user(url: str) -> str:
    return str(conninfo_to_dict(url).get("user") or "postgres")


@pytest.fixture(scope="session")
def bouncer(server_url: str) -> Iterator[pgbouncer.Bouncer]:
    """The session's PgBouncer, shared by the tests that leave it running as it is."""
    yield from _bouncer(server_url)


@pytest.fixture
def own_bouncer(server_url: str) -> Iterator[pgbouncer.Bouncer]:
    """A PgBouncer of the test's own, to freeze or stop."""
    yield from _bouncer(server_url)


@pytest.fixture
def pooled_url(bouncer: pgbouncer.Bouncer, db_url: str, server_url: str) -> str:
    """The clean test database, through PgBouncer."""
    return bouncer.url(server_user(server_url), str(conninfo_to_dict(db_url)["dbname"]))


@pytest.fixture
def pooled_spawn(pooled_url: str, tmp_path: Path) -> Iterator[Spawn]:
    """`handoff worker` processes in pooler mode, every connection through PgBouncer."""
    with spawner(
        tmp_path, HANDOFF_DATABASE_URL=pooled_url, HANDOFF_DATABASE_POOLER="transaction"
    ) as start:
        yield start
