"""A real API server (uvicorn on 127.0.0.1, a port it binds) over the test database.

The server runs for the whole session in a background thread with a ClockSeam the tests
move; each test gets empty tables (the `db_url` fixture) and fresh admin and reader tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI

from handoff.config import Settings
from handoff.http.app import create_app
from handoff.store import tokens
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday
MAX_PARTICIPANTS = 5


@dataclass
class Server:
    url: str
    clock: ClockSeam
    app: FastAPI


@dataclass
class Api:
    """Clients for the running server: anonymous, reader and admin, and the clock."""

    anonymous: httpx.Client
    reader: httpx.Client
    admin: httpx.Client
    clock: ClockSeam
    admin_token: str
    reader_token: str
    db_url: str

    def user(self, name: str = "Ann", email: str | None = None) -> str:
        response = self.admin.post("/api/v1/users", json={"name": name, "email": email})
        assert response.status_code == 201, response.text
        user_id: str = response.json()["id"]
        return user_id

    def rotation(
        self, name: str = "primary", participants: Sequence[str] = (), **fields: Any
    ) -> Any:
        body = {
            "name": name,
            "type": "daily",
            "start": "2026-03-01T09:00:00+01:00",
            "time_zone": "Europe/Berlin",
            "participants": list(participants),
        } | fields
        response = self.admin.post("/api/v1/rotations", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def sql(self, query: str, *args: object) -> list[dict[str, Any]]:
        """Read or poke the database directly, as a test's independent witness."""
        with connect(self.db_url, autocommit=True) as conn:
            cur = conn.execute(query, args)
            return list(cur.fetchall()) if cur.description else []


@contextlib.contextmanager
def running(app: FastAPI, listening: socket.socket | None = None) -> Iterator[str]:
    """Serve `app` with uvicorn in a background thread on a local port it binds (port 0: the
    system's choice, read from its socket, so no other process can hold it), or on the socket
    `listening` a test bound before it could make the app; yield its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    sockets = None if listening is None else [listening]
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    port = (listening or server.servers[0].sockets[0]).getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    clock = ClockSeam(database_url, T0)
    settings = Settings(database_url=database_url, max_participants=MAX_PARTICIPANTS)
    app = create_app(settings, database_url)
    with running(app) as url:
        yield Server(url, clock, app)


async def _tokens(url: str) -> tuple[str, str]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        _, admin = await tokens.create(conn, "test-admin", "admin", now=T0)
        _, reader = await tokens.create(conn, "test-reader", "reader", now=T0)
    return admin, reader


@pytest.fixture
def api(server: Server, db_url: str) -> Iterator[Api]:
    server.clock.set(T0)
    admin_token, reader_token = asyncio.run(_tokens(db_url))

    def client(token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=server.url, headers=headers, timeout=30)

    clients = [client(None), client(reader_token), client(admin_token)]
    try:
        yield Api(*clients, server.clock, admin_token, reader_token, db_url)
    finally:
        for c in clients:
            c.close()
