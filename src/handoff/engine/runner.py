"""Run an engine in this process: `handoff worker`, and the worker inside `handoff up`.

A queue engine process runs one Procrastinate worker with `concurrency` job slots, plus a
dispatcher and a sweep loop (each does its work only while it holds its cluster-wide lock, so
any number of processes may run them). All share one connection pool.

A database restart or failover never ends the process: the pool reconnects on its own, the
loops log and wait, and a Procrastinate worker that stops because its LISTEN connection died
is started again with a capped exponential backoff. Only `stop` ends the engine.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeVar

import procrastinate
import structlog
from procrastinate.worker import Worker
from psycopg import AsyncConnection
from psycopg.abc import PQGen
from psycopg_pool import AsyncConnectionPool

from handoff.config import Settings
from handoff.engine.app import PROCESSOR_KEY, QUEUE, build_app
from handoff.engine.batch import BatchEngine
from handoff.engine.connector import QueueAccess
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.health import Health, serving
from handoff.engine.loops import jittered, pause
from handoff.engine.process import Processor
from handoff.engine.sweep import Retention, Sweep
from handoff.notify import jobs as notify_jobs
from handoff.notify.sweep import NOTIFY_STALLED_WORKER_TIMEOUT, NotifySweep
from handoff.store import db

EngineKind = Literal["queue", "batch"]

# NOTIFY wakes workers for new jobs (Procrastinate's insert trigger), for jobs scheduled at an
# instant (the dispatcher's wake-up), and for retries come due and dead workers' jobs put back
# (the process holding the sweep lock looks for due jobs every second, one cheap statement
# for the whole cluster: engine/sweep.py). So a worker polls rarely: the poll is only the
# backstop for a wake-up lost while no sweep runs (a job then waits up to this long, not a
# second). Idle, each worker's fetches cost 2 statements a minute per queue instead of 60.
FETCH_POLLING_INTERVAL = timedelta(seconds=30)
ABORT_POLLING_INTERVAL = timedelta(seconds=5)  # polled only while a job runs
# The rotations worker's heartbeat: as often as the stalled-job rescue needs (two heartbeats per
# STALLED_WORKER_TIMEOUT: a dead or cut-off worker's rotations are taken over within 5 s,
# deploy.md). Its cost: an UPDATE of the worker's row every 1.5 s, where it was every 10 s.
HEARTBEAT_INTERVAL = timedelta(seconds=1.5)
# The notifications worker's: deliveries are at least once and a dead worker's lines are free
# at once (notify/sweep.py), so its job rows are put back at the old pace.
NOTIFY_HEARTBEAT_INTERVAL = timedelta(seconds=10)
# Procrastinate deletes the rows of workers silent this long when a worker starts: longer than
# either heartbeat, so it never deletes a live one (the sweeps judge stalled jobs per queue).
PRUNE_AFTER = NOTIFY_STALLED_WORKER_TIMEOUT
# Running jobs get this long to finish on a stop (at most half of HANDOFF_SHUTDOWN_SECONDS),
# then they are cancelled and retried later.
SHUTDOWN_GRACE = timedelta(seconds=10)
RESTART_BACKOFF = (timedelta(seconds=1), timedelta(seconds=30))  # first and longest wait
# Connections beyond the job slots: the worker's listener, fetches and heartbeats, the
# dispatcher, the sweep.
POOL_OVERHEAD = 5
# Notification deliveries run on their own queue with their own job slots, so a slow or dead
# receiver never holds a slot a handoff needs (notify.md).
NOTIFY_CONCURRENCY = 4
# A queue engine process registers one Procrastinate worker per queue (rotations, then
# notifications): what counts a process as ready in procrastinate_workers.
WORKERS_PER_PROCESS = 2

log = structlog.get_logger("handoff.engine")

RV = TypeVar("RV")
# How often a connection waiting on the server wakes up to look for an interrupt. psycopg's
# default (0.1 s) is for a blocking Ctrl-C; under asyncio a task is cancelled at its await
# anyway, so the wake-ups only cost CPU: the queue's LISTEN connections wait for hours, and
# their ten wake-ups a second each were half an idle worker's CPU (engine.md: under 1% of a
# core).
WAIT_INTERVAL = 5.0


class EngineConnection(AsyncConnection[Any]):
    """The connections of an engine's pool (its loops, its jobs and the queue's listener)."""

    async def wait(
        self,
        gen: PQGen[RV],
        interval: float = WAIT_INTERVAL,
        timeout: float | None = None,  # noqa: ASYNC109 (psycopg's own signature)
    ) -> RV:
        return await super().wait(gen, interval=interval, timeout=timeout)


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
        processor = Processor(pool)
        supervised = Supervised(app, access, health, grace, processor, pool, stop)
        loops = [
            asyncio.create_task(Dispatcher(pool).run(stop), name="dispatcher"),
            asyncio.create_task(Sweep(pool, app, retention).run(stop), name="sweep"),
            asyncio.create_task(NotifySweep(pool, app).run(stop), name="notify sweep"),
            asyncio.create_task(
                supervised.run(notify_jobs.QUEUE, NOTIFY_CONCURRENCY, NOTIFY_HEARTBEAT_INTERVAL),
                name="notification worker",
            ),
        ]
        log.info("queue engine started", concurrency=concurrency)
        await supervised.run(QUEUE, concurrency, HEARTBEAT_INTERVAL)
        stop.set()
        await asyncio.gather(*loops)
        log.info("queue engine stopped")


@dataclass(frozen=True, slots=True)
class Supervised:
    """What a queue engine's Procrastinate workers share, one worker per queue."""

    app: procrastinate.App
    access: QueueAccess
    health: Health
    grace: float  # seconds running jobs get to finish on a stop
    processor: Processor
    pool: AsyncConnectionPool[Any]
    stop: asyncio.Event

    async def run(self, queue: str, concurrency: int, heartbeat: timedelta) -> None:
        """Run the queue's Procrastinate worker until `stop`, starting it again whenever it
        stops alone.

        Procrastinate stops its worker when a side task dies (the LISTEN connection lost in a
        database restart): that is an outage to ride out, not a reason to exit.
        """
        first, longest = (d.total_seconds() for d in RESTART_BACKOFF)
        wait = first
        polling = self.access.polling_interval or FETCH_POLLING_INTERVAL
        while not self.stop.is_set():
            worker = Worker(
                self.app,
                queues=[queue],
                name="handoff",
                concurrency=concurrency,
                fetch_job_polling_interval=polling.total_seconds(),
                listen_notify=self.access.listen,
                abort_job_polling_interval=ABORT_POLLING_INTERVAL.total_seconds(),
                shutdown_graceful_timeout=self.grace,
                # Finished jobs stay for the engine page and are deleted by the sweep's
                # retention, in batches, off the hot path.
                delete_jobs="never",
                additional_context={PROCESSOR_KEY: self.processor, notify_jobs.POOL_KEY: self.pool},
                install_signal_handlers=False,
                update_heartbeat_interval=heartbeat.total_seconds(),
                stalled_worker_timeout=PRUNE_AFTER.total_seconds(),
            )
            self.health.workers[queue] = worker
            # Procrastinate's Worker.run carries no annotations; the worker is made here rather
            # than by App.run_worker_async so that the health probes can see its id.
            job = worker.run()  # type: ignore[no-untyped-call]
            running = asyncio.create_task(job, name=f"procrastinate worker {queue}")
            stopped = asyncio.create_task(self.stop.wait())
            await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not running.done():
                running.cancel()
            try:
                await running
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("the queue worker failed", queue=queue)
            if self.stop.is_set():
                return
            log.warning(
                "the queue worker stopped on its own; starting it again",
                queue=queue,
                wait_seconds=wait,
            )
            await pause(self.stop, jittered(wait))
            wait = min(wait * 2, longest)
