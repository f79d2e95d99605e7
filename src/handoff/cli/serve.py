"""`handoff api`: serve the HTTP API (no engine; run `handoff worker` beside it)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from handoff.api.app import create_app
from handoff.cli import common
from handoff.clock import SystemClock

HostOption = Annotated[
    str | None, typer.Option(help="Address to listen on (default HANDOFF_HOST).")
]
PortOption = Annotated[
    int | None, typer.Option(min=1, max=65535, help="Port to listen on (default HANDOFF_PORT).")
]


def api(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the HTTP API."""
    loaded = common.settings()
    with common.database(loaded) as url:
        app = create_app(loaded, url, SystemClock())
        uvicorn.run(
            app,
            host=host or loaded.host,
            port=port or loaded.port,
            log_config=None,
            lifespan="on",
        )
