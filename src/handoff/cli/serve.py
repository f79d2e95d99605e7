"""`handoff api`: serve the HTTP API (no engine; run `handoff worker` beside it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from handoff.cli import common
from handoff.http.app import create_app
from handoff.http.server import uvicorn_options

HostOption = Annotated[
    str | None, typer.Option(help="Address to listen on (default HANDOFF_HOST).")
]
PortOption = Annotated[
    int | None, typer.Option(min=1, max=65535, help="Port to listen on (default HANDOFF_PORT).")
]


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the stop signal once it has shut down.

    uvicorn re-raises SIGTERM/SIGINT after a graceful shutdown, which kills the process before
    the command's own cleanup runs (stopping the embedded PostgreSQL it started). Here a stop
    signal ends `serve()` normally, the cleanup runs, and the command exits 0.
    """

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


async def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM, then shut down gracefully."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        lifespan="on",
        **uvicorn_options(app.state.settings),
    )
    await Server(config).serve()


def api(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the HTTP API."""
    loaded = common.settings()
    with common.database(loaded) as url:
        app = create_app(loaded, url)
        asyncio.run(serve(app, host or loaded.host, port or loaded.port))
