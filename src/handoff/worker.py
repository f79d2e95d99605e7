"""The queue engine process, composed above engine and notify (layout.md: engine imports
nothing of notify): `handoff worker`, and the worker inside `handoff up`.

A queue engine process runs two Procrastinate workers, one per queue (rotations with
`concurrency` job slots, notifications with NOTIFY_CONCURRENCY), plus the dispatcher, the
rotations' sweep and the notifications' sweep (each loop does its work only while it holds its
cluster-wide lock, so any number of processes may run them). All share one connection pool.
A batch engine process runs the batch engine alone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Literal

import procrastinate
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.config import Settings
from handoff.engine import app as engine_app
from handoff.engine.batch import BatchEngine
from handoff.engine.connector import QueueAccess
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.health import Health, serving
from handoff.engine.process import Processor
from handoff.engine.runner import SHUTDOWN_GRACE, EngineConnection, Heartbeat, Supervised
from handoff.engine.sweep import Retention, Sweep
from handoff.notify import jobs as notify_jobs
from handoff.notify.sweep import NOTIFY_STALLED_WORKER_TIMEOUT, NotifySweep
from handoff.store import db

EngineKind = Literal["queue", "batch"]

# Procrastinate deletes the rows of workers silent this long when a worker starts: far longer
# than the process's heartbeat (engine/runner.py), so it never deletes a live one.
PRUNE_AFTER = NOTIFY_STALLED_WORKER_TIMEOUT
# Connections beyond the job slots: the worker's listener, fetches and heartbeats, the
# dispatcher, the sweep.
POOL_OVERHEAD = 5
# Notification deliveries run on their own queue with their own job slots, so a slow or dead
# receiver never holds a slot a handoff needs (notify.md).
NOTIFY_CONCURRENCY = 4
# A queue engine process registers one Procrastinate worker per queue (rotations, then
# notifications): what counts a process as ready in procrastinate_workers.
WORKERS_PER_PROCESS = 2

log = logs.Logger("handoff.engine")


def build_app(connector: procrastinate.PsycopgConnector) -> procrastinate.App:
    """An app with both queues' tasks: `update_rotations` (the Processor in its job context)
    and `deliver_notifications` (the pool in its job context)."""
    app = procrastinate.App(connector=connector)
    engine_app.register(app)
    notify_jobs.register(app)
    return app


async def run_engine(
    url: str,
    settings: Settings,
    *,
    engine: EngineKind,
    concurrency: int,
    stop: asyncio.Event,
    health_port: int | None = None,
) -> None:
    """Run an engine against the database at `url` until `stop` is set, then shut down cleanly.

    engine="queue" runs a Procrastinate worker on the `rotations` queue with `concurrency`
    job slots, the dispatcher and the missed-update sweep. engine="batch" runs the batch
    engine every `settings.batch_interval_seconds`, applying at most
    `settings.batch_max_advances` per cycle. Time is the database's (`handoff_now()`). No
    signal handlers are installed: the caller owns signals and sets `stop`
    (the CLI on SIGTERM/SIGINT, `handoff up` on the API server's shutdown). On stop, the
    worker takes no new jobs and gives running ones SHUTDOWN_GRACE to finish; any still
    running are cancelled and retried later, changing nothing twice. With `health_port`,
    the process answers health probes there (engine/health.py).
    """
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        min_size=2,
        max_size=concurrency + NOTIFY_CONCURRENCY + 2 * POOL_OVERHEAD,
        open=False,
        check=AsyncConnectionPool.check_connection,
        connection_class=EngineConnection,
        kwargs=db.connection_options(db.pooled(settings)),
        name=f"handoff-{engine}",
    )
    await pool.open(wait=True)
    health = Health(pool)
    try:
        async with serving(health, health_port, settings.host):
            await _run_engine(pool, health, settings, engine, concurrency, stop)
    finally:
        await pool.close()


async def _run_engine(
    pool: AsyncConnectionPool[Any],
    health: Health,
    settings: Settings,
    engine: EngineKind,
    concurrency: int,
    stop: asyncio.Event,
) -> None:
    if engine == "batch":
        batch = BatchEngine(
            pool,
            interval=timedelta(seconds=settings.batch_interval_seconds),
            max_advances=settings.batch_max_advances,
        )
        log.info("batch engine started", interval_seconds=settings.batch_interval_seconds)
        await batch.run(stop)
        return
    access = QueueAccess.for_settings(settings, EngineConnection)
    grace = min(SHUTDOWN_GRACE.total_seconds(), settings.shutdown_seconds / 2)
    await _run_queue_engine(
        pool, access, health, grace, Retention.from_settings(settings), concurrency, stop
    )


async def _run_queue_engine(
    pool: AsyncConnectionPool[Any],
    access: QueueAccess,
    health: Health,
    grace: float,
    retention: Retention,
    concurrency: int,
    stop: asyncio.Event,
) -> None:
    app = build_app(access.connector)
    async with app.open_async(pool):
        context = {engine_app.PROCESSOR_KEY: Processor(pool), notify_jobs.POOL_KEY: pool}
        supervised = Supervised(app, access, health, grace, context, PRUNE_AFTER, stop)
        loops = [
            asyncio.create_task(Dispatcher(pool).run(stop), name="dispatcher"),
            asyncio.create_task(Sweep(pool, app, retention).run(stop), name="sweep"),
            asyncio.create_task(NotifySweep(pool, app).run(stop), name="notify sweep"),
            asyncio.create_task(
                supervised.run(notify_jobs.QUEUE, NOTIFY_CONCURRENCY), name="notification worker"
            ),
            asyncio.create_task(Heartbeat(pool, health).run(stop), name="heartbeat"),
        ]
        log.info("queue engine started", concurrency=concurrency)
        await supervised.run(engine_app.QUEUE, concurrency)
        stop.set()
        await asyncio.gather(*loops)
        log.info("queue engine stopped")
