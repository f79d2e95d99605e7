"""A real server for the UI (uvicorn on 127.0.0.1, a port it binds) over the test database.

The engine's clock (the database's, through its seam) runs in real time moved by an offset a
test may set (`clock.offset`), so a test can stand a few seconds before a boundary and watch
real time carry it across; every test
starts at offset zero, with empty tables and fresh admin and reader tokens.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from api.conftest import running
from handoff.config import Settings
from handoff.engine.process import Processor
from handoff.http.app import create_app
from handoff.store import rotations, tokens, users
from handoff.store.clock import ClockSeam

from .client import Browser

MAX_PARTICIPANTS = 20


def in_thread(main: Any) -> Any:
    """asyncio.run(main()) in a worker thread: Playwright's sync API keeps a loop running here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, main()).result()


@dataclass
class Server:
    url: str
    clock: ClockSeam


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    clock = ClockSeam(database_url)
    settings = Settings(database_url=database_url, max_participants=MAX_PARTICIPANTS)
    app = create_app(settings, database_url)
    with running(app) as url:
        yield Server(url, clock)


@dataclass
class Web:
    """The running server, its clock, tokens, and store helpers for arranging data."""

    url: str
    clock: ClockSeam
    db_url: str
    admin_token: str
    reader_token: str

    def run(self, work: Any) -> Any:
        """Run `work(conn)` (a coroutine function) on a fresh autocommit connection."""

        async def main() -> Any:
            async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as c:
                return await work(c)

        return in_thread(main)

    def process(self, rotation_id: UUID) -> None:
        """What a queue worker does for a due rotation: the engine's own Processor, one txn."""

        async def main() -> None:
            async with AsyncConnectionPool(self.db_url, min_size=1, max_size=1, open=False) as p:
                await Processor(p).process(rotation_id, None)

        in_thread(main)

    def user(self, name: str) -> UUID:
        async def create(conn: Any) -> UUID:
            created = await users.create(conn, name, None, now=self.clock.now())
            return created.id

        result: UUID = self.run(create)
        return result

    def rotation(
        self,
        name: str,
        type_: str,
        start: datetime,
        time_zone: str,
        people: Sequence[UUID] = (),
        shift_length: int = 1,
    ) -> rotations.Rotation:
        config = rotations.Config(
            name=name, type=type_, start=start, time_zone=time_zone, shift_length=shift_length
        )

        async def create(conn: Any) -> rotations.Rotation:
            return await rotations.create(conn, config, people, limit=MAX_PARTICIPANTS)

        result: rotations.Rotation = self.run(create)
        return result


@pytest.fixture
def browser(web: Web) -> Iterator[Browser]:
    """An HTTP client signed in as nobody yet (`browser.sign_in(token)`)."""
    b = Browser(web)
    yield b
    b.client.close()


@pytest.fixture
def web(server: Server, db_url: str) -> Iterator[Web]:
    server.clock.offset = timedelta(0)

    async def make(conn: Any) -> tuple[str, str]:
        _, admin = await tokens.create(conn, "web-admin", "admin", now=server.clock.now())
        _, reader = await tokens.create(conn, "web-reader", "reader", now=server.clock.now())
        return admin, reader

    async def connect_and_make() -> tuple[str, str]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            return await make(conn)

    admin, reader = in_thread(connect_and_make)
    yield Web(server.url, server.clock, db_url, admin, reader)
    server.clock.offset = timedelta(0)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never a downloaded browser. Playwright's sync
    API keeps an event loop running in this thread while it is open, so it is closed when the
    browser tests end: a test of another package run after them may call asyncio.run."""
    if shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is missing: the browser tests need Debian's chromium package"
        if os.environ.get("HANDOFF_REQUIRE_BROWSER"):
            pytest.fail(message + " (HANDOFF_REQUIRE_BROWSER is set, as in CI)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any, web: Web) -> Iterator[Any]:
    context = chromium.new_context(base_url=web.url, viewport=DESKTOP)
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def console(page: Any) -> list[str]:
    """Every console error and uncaught exception of the page (a blocked script shows here)."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
