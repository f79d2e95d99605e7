"""`handoff worker`: run an engine until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from handoff.cli import common
from handoff.config import Settings
from handoff.engine import metrics
from handoff.engine.runner import EngineKind, run_engine


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=200, help="Jobs run at once (default HANDOFF_WORKER_CONCURRENCY)."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="queue (default) or batch (GoAlert's 5-second cycle).")
    ] = "queue",
    metrics_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Serve Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Run a rotation engine: hands off every rotation at its boundary."""
    if engine not in ("queue", "batch"):
        common.fail(f"--engine must be queue or batch, got {engine!r}")
    kind: EngineKind = "queue" if engine == "queue" else "batch"
    loaded = common.settings()
    if metrics_port is not None:
        metrics.serve(metrics_port)
    with common.database(loaded) as url:
        asyncio.run(_run(url, loaded, kind, concurrency or loaded.worker_concurrency))


async def _run(url: str, loaded: Settings, kind: EngineKind, concurrency: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_engine(url, loaded, engine=kind, concurrency=concurrency, stop=stop)
