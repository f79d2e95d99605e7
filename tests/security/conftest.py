"""A real `handoff api` process for the security tests, with a secret in its database URL.

The server is the one a user runs (`handoff api`, JSON logs captured to a file), on the
session's test database, reached through a URL that carries a password (PostgreSQL's trust
authentication ignores it), so that the tests can look for that password, the URL and every
token in everything the process says. No test here empties tables: each works with names of
its own, and compares row counts before and after to show a refusal wrote nothing.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from handoff.chaos.api import ApiProcess, api_process
from handoff.store import tokens

TABLES = (
    "users",
    "rotations",
    "participants",
    "rotation_state",
    "rotation_schedule",
    "handoffs",
    "api_tokens",
    "procrastinate_jobs",
)
CLIENT_TIMEOUT = 30.0


def with_password(url: str, password: str) -> str:
    """`url` with `password` for its user, unless it has one already (then it is kept)."""
    parts = urlsplit(url)
    if parts.password:
        return url
    user = parts.username or "postgres"
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}{port}"))


@dataclass
class Secured:
    """The running API, its log, and every secret that must never be shown."""

    api: ApiProcess
    url: str  # the database URL the API was given, with its password
    password: str
    reader_token: str

    @property
    def log(self) -> Path:
        return self.api.log

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.api.base_url, headers=headers, timeout=CLIENT_TIMEOUT)

    @property
    def admin(self) -> httpx.Client:
        return self.client(self.api.token)

    def secrets(self) -> list[str]:
        return [self.password, self.url, self.api.token, self.reader_token]

    def counts(self) -> dict[str, int]:
        with psycopg.connect(self.url) as conn:
            return {
                table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]  # noqa: S608 (fixed names)
                for table in TABLES
            }

    def sql(self, query: str, *args: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(query, args)
            return list(cur.fetchall()) if cur.description else []


async def _reader_token(url: str) -> str:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        name = f"security-reader-{secrets.token_hex(4)}"
        _, secret = await tokens.create(conn, name, "reader", now=datetime.now(UTC))
    return secret


@pytest.fixture(scope="package")
def secured(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    password = f"pw-{secrets.token_hex(8)}"
    url = with_password(database_url, password)
    password = urlsplit(url).password or password
    logs = tmp_path_factory.mktemp("security-logs")
    with api_process(url, logs, f"security-{secrets.token_hex(4)}") as api:
        yield Secured(api, url, password, asyncio.run(_reader_token(url)))


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names no other test uses: the session database is shared and not emptied here."""
    suffix = secrets.token_hex(3)
    return lambda name: f"{name} {suffix}"
