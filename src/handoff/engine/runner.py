"""The pieces a queue engine process is made of: its pool's connections, and the supervision of
a Procrastinate worker on one queue (`Supervised`). The process itself, which also runs the
notifications' worker and sweep, is composed above both engine and notify (`handoff.worker`).

A database restart or failover never ends the process: the pool reconnects on its own, the
loops log and wait, and a Procrastinate worker that stops because its LISTEN connection died
is started again with a capped exponential backoff. Only `stop` ends the engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import procrastinate
import psycopg
from procrastinate.worker import Worker
from psycopg import AsyncConnection
from psycopg.abc import PQGen
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.engine.connector import QueueAccess
from handoff.engine.health import Health
from handoff.engine.loops import jittered, pause
from handoff.store.queries import Queries

# NOTIFY wakes workers for new jobs (Procrastinate's insert trigger), for jobs scheduled at an
# instant (the dispatcher's wake-up), and for retries come due and dead workers' jobs put back
# (the process holding the sweep lock looks for due jobs every second, one cheap statement
# for the whole cluster: engine/sweep.py). So a worker polls rarely: the poll is only the
# backstop for a wake-up lost while no sweep runs (a job then waits up to this long, not a
# second). Idle, each worker's fetches cost 2 statements a minute per queue instead of 60.
FETCH_POLLING_INTERVAL = timedelta(seconds=30)
ABORT_POLLING_INTERVAL = timedelta(seconds=5)  # polled only while a job runs
# The process's heartbeat, for all its queue workers at once (`Heartbeat`): as often as the
# stalled-job rescue needs (two heartbeats per STALLED_WORKER_TIMEOUT: a dead or cut-off
# worker's rotations are taken over within 5 s, deploy.md). Its cost: one UPDATE of the
# process's worker rows every 1.5 s, where Procrastinate's own heartbeat was a function call per
# worker (the rotations worker's every 1.5 s, the notifications worker's every 10 s).
HEARTBEAT_INTERVAL = timedelta(seconds=1.5)
# Procrastinate's own per-worker heartbeat, which `Heartbeat` replaces: left to fire once a day.
OWN_HEARTBEAT_OFF = timedelta(days=1)
# Running jobs get this long to finish on a stop (at most half of HANDOFF_SHUTDOWN_SECONDS),
# then they are cancelled and retried later.
SHUTDOWN_GRACE = timedelta(seconds=10)
RESTART_BACKOFF = (timedelta(seconds=1), timedelta(seconds=30))  # first and longest wait

log = logs.Logger("handoff.engine")
Q = Queries("engine")

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


@dataclass(frozen=True, slots=True)
class Supervised:
    """What a queue engine's Procrastinate workers share, one worker per queue."""

    app: procrastinate.App
    access: QueueAccess
    health: Health
    grace: float  # seconds running jobs get to finish on a stop
    context: Mapping[str, Any]  # what the queues' tasks find in their job context
    # Procrastinate deletes the rows of workers silent this long when a worker starts.
    prune_after: timedelta
    stop: asyncio.Event

    async def run(self, queue: str, concurrency: int) -> None:
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
                additional_context=dict(self.context),
                install_signal_handlers=False,
                update_heartbeat_interval=OWN_HEARTBEAT_OFF.total_seconds(),
                stalled_worker_timeout=self.prune_after.total_seconds(),
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


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The process's heartbeat: every HEARTBEAT_INTERVAL, one statement marks all its registered
    queue workers alive (the stalled-job sweeps judge them by it, the readiness probe too). A
    failure (the database restarting, cut off) is logged and the next beat tried on time."""

    pool: AsyncConnectionPool[Any]
    health: Health

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await pause(stop, HEARTBEAT_INTERVAL.total_seconds())
            ids = [w.worker_id for w in self.health.workers.values() if w.worker_id is not None]
            if not ids or stop.is_set():
                continue
            try:
                async with self.pool.connection() as conn, conn.transaction():
                    await conn.execute(Q["heartbeat"], {"worker_ids": ids})
            except psycopg.Error as exc:
                log.warning("heartbeat failed", error=str(exc))
