"""`handoff api`: serve the HTTP API (no engine; run `handoff worker` beside it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from handoff.cli import common
from handoff.http.app import create_app
from handoff.http.server import LISTENING, uvicorn_options

SWITCH_INTERVAL_SECONDS = 0.001

HostOption = Annotated[
    str | None, typer.Option(help="Address to listen on (default HANDOFF_HOST).")
]
PortOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        max=65535,
        help="Port to listen on (default HANDOFF_PORT; 0: one the system picks, printed).",
    ),
]


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the stop signal once it has shut down, and saying
    where it listens once it does.

    uvicorn re-raises SIGTERM/SIGINT after a graceful shutdown, which kills the process before
    the command's own cleanup runs (stopping the embedded PostgreSQL it started). Here a stop
    signal ends `serve()` normally, the cleanup runs, and the command exits 0.
    """

    def __init__(self, config: uvicorn.Config, listening: Callable[[str], None]) -> None:
        super().__init__(config)
        self.listening = listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.servers and self.servers[0].sockets:
            port = self.servers[0].sockets[0].getsockname()[1]
            self.listening(f"http://{self.config.host}:{port}/")

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def announce(url: str) -> None:
    """Print where the server listens (LISTENING), at once, whatever stdout is."""
    common.console.print(LISTENING.format(url=url), highlight=False)
    sys.stdout.flush()


async def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM, then shut down gracefully; print where it listens
    once it does.

    The work of heavy pages runs in threads, which share the interpreter lock with the event
    loop: a thread keeps the lock up to the switch interval each time the loop asks for it
    back, and a cheap request asks for it at every step. At Python's 5 ms, one report being
    worked out beside it held GET /api/v1/rotations/{id} at 150 ms (median); at
    SWITCH_INTERVAL_SECONDS, 45 ms (issue 24's probe, `handoff bench --scenario stall`)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        lifespan="on",
        **uvicorn_options(app.state.settings),
    )
    await Server(config, announce).serve()


def api(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the HTTP API."""
    loaded = common.settings()
    with common.database(loaded) as url:
        app = create_app(loaded, url)
        asyncio.run(serve(app, host or loaded.host, loaded.port if port is None else port))
