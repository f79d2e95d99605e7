"""Test fixtures: a real PostgreSQL for every database test, never a mock.

The server is the one named by HANDOFF_TEST_DATABASE_URL, or else a private embedded server
started for the session. Either way the session gets its own freshly migrated database, and
every test starts from empty tables.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from handoff.embedded_pg import EmbeddedPostgres
from handoff.store import migrate
from handoff.store.db import connect

TABLES = (
    "schedule_history, schedule_state, schedule_overrides, schedule_layers, schedules, "
    "notify_attempts, notify_messages, notify_staged, notify_reminders, notify_subscriptions, "
    "notify_channels, "
    "feed_tokens, user_passwords, audit_log, web_oidc_states, "
    "goalert_imported_rotations, goalert_imported_users, "
    "web_sessions, web_sign_in_failures, handoff_worker_starts, "
    "overrides, scheduled_changes, "
    "handoffs, rotation_schedule, rotation_state, participants, rotations, users, api_tokens, "
    "engine_status, handoff_clock, procrastinate_events, procrastinate_periodic_defers, "
    "procrastinate_jobs, procrastinate_workers"
)


def _with_database(url: str, name: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    if user is not None:
        parts = parts._replace(netloc=f"{user}@{parts.netloc.rpartition('@')[2]}")
    return urlunsplit(parts._replace(path="/" + name))


# Set, the session's database is owned by a role of its own with no other privilege (as a
# managed PostgreSQL gives), and every test connects as that role (deploy.md): .ci/run runs
# the engine suite so once.
AS_OWNER = bool(os.environ.get("HANDOFF_TEST_AS_OWNER"))


def owned_database(server_url: str, name: str) -> tuple[str, str]:
    """Create a login role with no privilege but owning a new database `name`; returns the
    role and the database's URL as that role. `drop_owned_database` removes both."""
    role = f"{name}_owner"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(
            f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION'
        )
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    return role, _with_database(server_url, name, user=role)


def drop_owned_database(server_url: str, name: str, role: str | None) -> None:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if role is not None:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


# Fixtures through which a test reaches the PostgreSQL server that HANDOFF_TEST_DATABASE_URL
# names: restartable_context (tests/chaos) reads the variable itself.
SERVER_FIXTURES = ("server_url", "restartable_context")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `db` every test whose fixture closure reaches the test server: the only tests that
    a run against another server (.ci/run's second phase) can tell anything new."""
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in SERVER_FIXTURES):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A URL of the PostgreSQL server the tests use (any database on it)."""
    named = os.environ.get("HANDOFF_TEST_DATABASE_URL")
    if named:
        yield named
        return
    data_dir = Path(tempfile.mkdtemp(prefix="hotest-"))
    server = EmbeddedPostgres(data_dir)
    try:
        with server.running() as url:
            yield url
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test session, dropped afterwards."""
    name = f"handoff_test_{secrets.token_hex(4)}"
    role: str | None = None
    if AS_OWNER:
        role, url = owned_database(server_url, name)
    else:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = _with_database(server_url, name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_owned_database(server_url, name, role)


# The tables of TABLES a test wrote to (their files are not empty: rows, or rows deleted) or
# whose identity it advanced (its sequence was called since it was last restarted).
_NAMES = TABLES.replace(" ", "").split(",")
_LEFT_BEHIND = sql.SQL(
    "SELECT t AS name FROM unnest({names}::text[]) AS t WHERE pg_relation_size(t::regclass) > 0"
    " UNION SELECT DISTINCT d.refobjid::regclass::text FROM pg_depend d"
    " JOIN pg_sequences s ON d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass"
    " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
    " AND d.deptype IN ('a', 'i') AND s.last_value IS NOT NULL"
    " AND d.refobjid::regclass::text = ANY({names}::text[])"
).format(names=sql.Literal(_NAMES))


def empty_tables(url: str) -> None:
    """Empty every table of TABLES and restart its identity, truncating only those the last
    test wrote to: a TRUNCATE makes each table's files anew, which costs the server about as
    much as a whole test of this suite when it covers every table. A table emptied by DELETE
    is truncated too, so that every test's planner sees the same fresh, empty tables."""
    with connect(url, autocommit=True) as conn:
        left = [str(row["name"]) for row in conn.execute(_LEFT_BEHIND).fetchall()]
        if left:
            names = sql.SQL(", ").join(sql.Identifier(t) for t in left)
            conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(names))


@pytest.fixture
def db_url(database_url: str) -> str:
    """The session database with every table emptied: each test starts clean."""
    empty_tables(database_url)
    return database_url


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[dict[str, object]]]:
    """An autocommit connection to the clean database."""
    with connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local TCP port that refuses connections for the whole test: the test holds it bound
    and never listens, so no other process can take it meanwhile (a fixed "closed" port such
    as 9 may well be open on some machine)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]
