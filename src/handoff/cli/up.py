"""`handoff up`: everything from one command, for trying handoff out or a small deployment.

Starts (or reuses) the embedded PostgreSQL unless HANDOFF_DATABASE_URL is set, migrates, loads
demo data with --demo (once), creates an admin token on first start (kept in
`<data_dir>/admin-token`, mode 0600; printed once, and only to a terminal), then serves the
API and the UI, with the queue engine in a process of its own (`handoff worker`, started and
stopped with the server): no request, however heavy, shares the engine's event loop or its
interpreter, so none can delay a handoff. /readyz fails when that process has exited.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from handoff import demo
from handoff.chaos.workers import CLI_ENTRY
from handoff.cli import common, run
from handoff.cli.serve import HostOption, PortOption, serve
from handoff.config import Settings
from handoff.http.app import create_app
from handoff.store import audit, clock, tokens
from handoff.store.errors import Conflict

TOKEN_FILE = "admin-token"
TOKEN_NAME = "admin"
WORKER_STOP_SECONDS = 30.0


async def _prepare(url: str, settings: Settings, load_demo: bool) -> str | None:
    """Load the demo and create the first admin token; the token's secret when new."""
    async with await audit.Audited.connect(url, autocommit=True) as conn:
        audit.act_as(conn, run.writer())
        now = await clock.read(conn)
        if load_demo and await demo.load(conn, now=now):
            common.console.print("loaded the demo rotations")
        if (settings.data_dir / TOKEN_FILE).exists():
            return None
        try:
            _, secret = await tokens.create(conn, TOKEN_NAME, "admin", now=now)
        except Conflict:
            name = f"{TOKEN_NAME}-{secrets.token_hex(3)}"
            _, secret = await tokens.create(conn, name, "admin", now=now)
        return secret


def _keep(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")


def _announce(secret: str, path: Path) -> None:
    """The new admin token on a terminal only: piped or logged output (a service's journal)
    gets where it is kept, never the secret itself."""
    if sys.stdout.isatty():
        common.console.print(f"admin token (shown once, kept in {path}):", highlight=False)
        typer.echo(secret)
    else:
        common.console.print(f"admin token written to {path} (mode 0600)", highlight=False)


async def _worker(url: str, stop: asyncio.Event) -> None:
    """The queue engine's process, from its start until `stop` (then SIGTERM, and SIGKILL if
    it has not ended within WORKER_STOP_SECONDS); raises if it ends on its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLI_ENTRY,
        "worker",
        "--engine",
        "queue",
        env=os.environ | {"HANDOFF_DATABASE_URL": url},
        stdin=asyncio.subprocess.DEVNULL,
    )
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait(
            {stopping, asyncio.create_task(process.wait())}, return_when="FIRST_COMPLETED"
        )
    finally:
        stopping.cancel()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), WORKER_STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
    if not stop.is_set():
        raise RuntimeError(f"the worker process exited with status {process.returncode}")


async def _serve(settings: Settings, url: str, host: str, port: int) -> None:
    def engine(stop: asyncio.Event) -> Coroutine[Any, Any, None]:
        return _worker(url, stop)

    await serve(create_app(settings, url, engine_runner=engine), host, port)


def up(
    demo_data: Annotated[bool, typer.Option("--demo", help="Load demo rotations once.")] = False,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Run the API and a queue engine beside it (embedded PostgreSQL by default)."""
    loaded = common.settings()
    with common.database(loaded) as url:
        secret = asyncio.run(_prepare(url, loaded, demo_data))
        if secret is not None:
            _keep(loaded.data_dir / TOKEN_FILE, secret)
            _announce(secret, loaded.data_dir / TOKEN_FILE)
        asyncio.run(_serve(loaded, url, host or loaded.host, loaded.port if port is None else port))
