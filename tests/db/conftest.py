"""Databases of their own for the schema tests: an empty one, or one at an earlier revision
to migrate from (each dropped afterwards), beside the session's migrated database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from handoff.store import migrate


@pytest.fixture
def scratch(server_url: str) -> Iterator[str]:
    """An empty database of its own, dropped afterwards."""
    name = f"handoff_scratch_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def previous_db(request: pytest.FixtureRequest, scratch: str) -> str:
    """A database migrated only up to the test module's `PREVIOUS` revision: a migration test
    names the schema it starts from once, beside the rows it writes into it."""
    migrate.upgrade(scratch, request.module.PREVIOUS)
    return scratch
