"""`handoff worker`: run an engine until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Annotated

import psycopg
import typer

from handoff import logs
from handoff.cli import common
from handoff.config import Settings
from handoff.engine import metrics
from handoff.engine.loops import jittered
from handoff.engine.runner import RESTART_BACKOFF
from handoff.worker import EngineKind, run_engine

# How long a worker started while its database is away (a restart, a failover) waits for it
# before it gives up with the usual one line: a restart must never need a supervisor.
STARTUP_PATIENCE = 120.0
# Of HANDOFF_SHUTDOWN_SECONDS, kept for the process's own exit after a stop that timed out.
EXIT_MARGIN = 0.5
# Connection failures that an outage causes, not a wrong URL: no answer at all (no SQLSTATE),
# or the server starting up or shutting down.
TRANSIENT = (None, "57P01", "57P03")

log = logs.Logger("handoff.engine")


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=200, help="Jobs run at once (default HANDOFF_WORKER_CONCURRENCY)."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="queue (default) or batch (GoAlert's 5-second cycle).")
    ] = "queue",
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Serve Prometheus metrics on this port (0: one the system picks, logged).",
        ),
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Serve /healthz and /readyz on this port (default HANDOFF_WORKER_HEALTH_PORT;"
            " 0: one the system picks, logged).",
        ),
    ] = None,
) -> None:
    """Run a rotation engine: hands off every rotation at its boundary."""
    if engine not in ("queue", "batch"):
        common.fail(f"--engine must be queue or batch, got {engine!r}")
    kind: EngineKind = "queue" if engine == "queue" else "batch"
    loaded = common.settings()
    if metrics_port is not None:
        log.info("metrics served", port=metrics.serve(metrics_port))
    if loaded.database_url:
        _wait_for_database(loaded.database_url)
    port = loaded.worker_health_port if health_port is None else health_port
    with common.database(loaded) as url:
        asyncio.run(_run(url, loaded, kind, concurrency or loaded.worker_concurrency, port))


async def _run(
    url: str, loaded: Settings, kind: EngineKind, concurrency: int, health_port: int | None
) -> None:
    """Run the engine until SIGTERM or SIGINT; then it has HANDOFF_SHUTDOWN_SECONDS to stop.

    A stop that has not finished by then (its database gone or cut off: a statement or a pool
    checkout that waits on it) ends the process at once, with exit code 1: an orchestrator
    that waits this long and no more never has to kill it, and what it held is released by the
    database when the connections die (its jobs are taken over by the other workers).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = asyncio.create_task(
        run_engine(
            url, loaded, engine=kind, concurrency=concurrency, stop=stop, health_port=health_port
        )
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([engine, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    done, _ = await asyncio.wait([engine], timeout=loaded.shutdown_seconds - EXIT_MARGIN)
    if not done:
        log.error("the engine did not stop in time; exiting", seconds=loaded.shutdown_seconds)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    engine.result()


def _wait_for_database(url: str) -> None:
    """Wait, with a capped backoff, while the database is away for a reason an outage gives;
    anything else (a wrong name, a refused login) goes on to the one-line error at once."""
    first, longest = (d.total_seconds() for d in RESTART_BACKOFF)
    wait, deadline = first, time.monotonic() + STARTUP_PATIENCE
    while True:
        try:
            psycopg.connect(url, connect_timeout=5).close()
            return
        except psycopg.OperationalError as exc:
            if exc.sqlstate not in TRANSIENT or time.monotonic() > deadline:
                return
            log.warning("waiting for the database", wait_seconds=wait, error=str(exc).strip())
            time.sleep(jittered(wait))
            wait = min(wait * 2, longest)
