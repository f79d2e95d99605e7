"""Run an engine in this process: `handoff worker`, and the worker inside `handoff up`.

A queue engine process runs one Procrastinate worker with `concurrency` job slots, plus a
dispatcher and a sweep loop (each does its work only while it holds its cluster-wide lock, so
any number of processes may run them). All share one connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any, Literal

import procrastinate
import structlog
from psycopg_pool import AsyncConnectionPool

from handoff.clock import Clock
from handoff.config import Settings
from handoff.engine.app import PROCESSOR_KEY, QUEUE, build_app
from handoff.engine.batch import BatchEngine
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.process import Processor
from handoff.engine.sweep import STALLED_WORKER_TIMEOUT, Sweep

EngineKind = Literal["queue", "batch"]

# NOTIFY wakes workers for new and newly due jobs; polling only catches retries coming due.
FETCH_POLLING_INTERVAL = timedelta(seconds=1)
ABORT_POLLING_INTERVAL = timedelta(seconds=5)
HEARTBEAT_INTERVAL = timedelta(seconds=2)
SHUTDOWN_GRACE = timedelta(seconds=10)  # running jobs get this long to finish, then retry
# Connections beyond the job slots: the worker's listener, fetches and heartbeats, the
# dispatcher, the sweep.
POOL_OVERHEAD = 5

log = structlog.get_logger("handoff.engine")


class EngineStopped(RuntimeError):
    """The engine stopped without being asked to."""


async def run_engine(
    url: str,
    settings: Settings,
    clock: Clock,
    *,
    engine: EngineKind,
    concurrency: int,
    stop: asyncio.Event,
) -> None:
    """Run an engine against the database at `url` until `stop` is set, then shut down cleanly.

    engine="queue" runs a Procrastinate worker on the `rotations` queue with `concurrency`
    job slots, the dispatcher and the missed-update sweep. engine="batch" runs the batch
    engine every `settings.batch_interval_seconds`, applying at most
    `settings.batch_max_advances` per cycle. `clock` is the engine's time (SystemClock in
    production). No signal handlers are installed: the caller owns signals and sets `stop`
    (the CLI on SIGTERM/SIGINT, `handoff up` on the API server's shutdown). On stop, the
    worker takes no new jobs and gives running ones SHUTDOWN_GRACE to finish; any still
    running are cancelled and retried later, changing nothing twice.
    """
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        min_size=2,
        max_size=concurrency + POOL_OVERHEAD,
        open=False,
        check=AsyncConnectionPool.check_connection,
        name=f"handoff-{engine}",
    )
    await pool.open(wait=True)
    try:
        if engine == "batch":
            batch = BatchEngine(
                pool,
                clock,
                interval=timedelta(seconds=settings.batch_interval_seconds),
                max_advances=settings.batch_max_advances,
            )
            log.info("batch engine started", interval_seconds=settings.batch_interval_seconds)
            await batch.run(stop)
            return
        await _run_queue_engine(pool, clock, concurrency, stop)
    finally:
        await pool.close()


async def _run_queue_engine(
    pool: AsyncConnectionPool[Any], clock: Clock, concurrency: int, stop: asyncio.Event
) -> None:
    app = build_app(procrastinate.PsycopgConnector())
    async with app.open_async(pool):
        processor = Processor(pool, clock)
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE],
                name="handoff",
                concurrency=concurrency,
                fetch_job_polling_interval=FETCH_POLLING_INTERVAL.total_seconds(),
                abort_job_polling_interval=ABORT_POLLING_INTERVAL.total_seconds(),
                shutdown_graceful_timeout=SHUTDOWN_GRACE.total_seconds(),
                delete_jobs="successful",
                additional_context={PROCESSOR_KEY: processor},
                install_signal_handlers=False,
                update_heartbeat_interval=HEARTBEAT_INTERVAL.total_seconds(),
                stalled_worker_timeout=STALLED_WORKER_TIMEOUT.total_seconds(),
            ),
            name="procrastinate worker",
        )
        loops = [
            asyncio.create_task(Dispatcher(pool, clock).run(stop), name="dispatcher"),
            asyncio.create_task(Sweep(pool, app, clock).run(stop), name="sweep"),
        ]
        log.info("queue engine started", concurrency=concurrency)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([worker, stopped], return_when=asyncio.FIRST_COMPLETED)
        unexpected = not stop.is_set()
        if not worker.done():
            worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        stop.set()
        await asyncio.gather(*loops, stopped)
        if unexpected:
            # Procrastinate stops its worker when a side task dies (the LISTEN connection
            # lost): exit with an error so the supervisor restarts the process.
            raise EngineStopped("the Procrastinate worker stopped on its own; see the log")
        log.info("queue engine stopped")
