"""Databases of their own for the schema tests: an empty one, or one at an earlier revision
to migrate from (each dropped afterwards), beside the session's migrated database; and the
plain-SQL writes and reads those tests share."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from handoff.store import migrate
from handoff.store.db import connect

Conn = psycopg.Connection[dict[str, object]]


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


def every_row(url: str, tables: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows in key order: what a migration must keep as it was."""
    with connect(url, autocommit=True) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}  # noqa: S608


def add_user(conn: Conn, name: str = "ann") -> object:
    row = conn.execute("INSERT INTO users (name) VALUES (%s) RETURNING id", (name,)).fetchone()
    assert row
    return row["id"]


def add_rotation(conn: Conn, name: str = "ops", **fields: object) -> object:
    values = {"type": "daily", "shift_length": 1, "start_at": "2026-01-05 09:00Z"} | fields
    row = conn.execute(
        "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
        " VALUES (%s, %s, %s, %s, 'Europe/Berlin') RETURNING id",
        (name, values["type"], values["shift_length"], values["start_at"]),
    ).fetchone()
    assert row
    return row["id"]


def add_handoff(
    conn: Conn,
    rotation_id: object,
    at: object,
    to_user: object,
    on_call: object,
    override_id: object = None,
) -> None:
    """A history row of a handoff at a boundary by the queue engine: handed to `to_user`,
    `on_call` on call (None: nobody, with the override that covered the shift by nobody)."""
    conn.execute(
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " to_user_id, to_user_name, on_call_user_id, on_call_override_id)"
        " VALUES (%s, %s, %s, 'boundary', 'queue', %s, 'x', %s, %s)",
        (rotation_id, at, at, to_user, on_call, override_id),
    )


def waiting_jobs(conn: Conn, rotation_id: object) -> int:
    """How many jobs wait to run the rotation (its queueing lock, status todo)."""
    row = conn.execute(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo'",
        (f"rotation:{rotation_id}",),
    ).fetchone()
    assert row
    return int(str(row["n"]))
