"""The worker's notification sweep: reminders come due, channels with a line due get a job.

It is how deliveries start: the write path only stages its on-call changes (a row per change
and subscribed channel, in notify_staged), so a handoff pays for no queue job and no message
bookkeeping; the sweep publishes them as messages and enqueues their channels' jobs, so a
message waits about a second (while a storm of handoffs runs, a few seconds: publishing, like
delivering, steps aside for the handoffs it reports). It also covers a retry coming due
(on the engine's clock, so tests move the clock rather than sleep), a channel re-enabled, a
job that ran out of time, and the jobs of killed workers (put back in the queue, as the
engine's sweep does for rotations). Every process may run it: enqueuing is deduplicated by
the queue's lock (one waiting job per channel) and a line being worked on is skipped.

Every PURGE_INTERVAL it also applies the retention (NotifyRetention, the shape of the engine's
queue retention): delivered messages and failed ones, with their attempts, go a while after
they were finished, in a few statements of RETENTION_BATCH rows each, so the outbox stays the
size of its recent traffic. Pending messages are never deleted: they are still to be sent
(a disabled channel sends them when enabled again).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import procrastinate
from procrastinate.exceptions import ConnectorException
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.engine import metrics
from handoff.engine.loops import jittered, pause
from handoff.engine.sweep import PURGE_INTERVAL, RETENTION_BATCH, RETENTION_ROUNDS
from handoff.notify.deliver import YIELD_LIMIT, handoffs_busy
from handoff.notify.jobs import QUEUE
from handoff.notify.remind import remind_due
from handoff.store import db
from handoff.store.queries import Queries

Q = Queries("notify_delivery")
INTERVAL = timedelta(seconds=1)
# A killed worker's line is free at once (its lock died with it) and the next pass enqueues it;
# its job row only needs putting back (so it is not shown running forever), less often.
STALLED_INTERVAL = timedelta(seconds=10)
# No heartbeat for this long: a delivery worker is dead (two of its heartbeats, handoff/worker.py).
NOTIFY_STALLED_WORKER_TIMEOUT = timedelta(seconds=20)
log = logs.Logger("handoff.notify")


@dataclass(frozen=True, slots=True)
class NotifyRetention:
    """How long finished messages (with their attempts) are kept after they were finished.

    Delivered ones a week: the deliveries list (API and Notifications page) shows at least the
    last seven days. Failed ones a month, to find out why and retry them.
    """

    delivered: timedelta = timedelta(days=7)
    failed: timedelta = timedelta(days=30)


@dataclass
class NotifySweep:
    pool: AsyncConnectionPool[Any]
    app: procrastinate.App
    retention: NotifyRetention = field(default_factory=NotifyRetention)
    _last_stalled_scan: float | None = None
    _last_purge: float | None = None
    _deferred_since: float | None = None  # when publishing first stepped aside for handoffs

    async def sweep(self) -> int:
        """One pass (staged changes published, reminders due, then lines due); returns for how
        many channels a job was wanted (one waiting job per channel at most)."""
        started = time.monotonic()
        if (
            self._last_stalled_scan is None
            or started - self._last_stalled_scan >= STALLED_INTERVAL.total_seconds()
        ):
            self._last_stalled_scan = started
            await self.retry_stalled_jobs()
        if self._last_purge is None or started - self._last_purge >= PURGE_INTERVAL.total_seconds():
            self._last_purge = started
            await self.purge()
        # One look first (autocommit, no transaction); staged changes, reminders and lines only
        # when it finds some: an idle pass is one statement.
        async with self.pool.connection() as conn, db.autocommit(conn):
            found = await (await conn.execute(Q["outlook"])).fetchone()
        pending, reminders_due, staged = found if found else (0, False, False)
        if staged:
            pending += await self.publish_unless_busy()
        if reminders_due:
            pending += await remind_due(self.pool)
        metrics.DELIVERIES_PENDING.set(pending)
        if not pending:
            return 0
        async with self.pool.connection() as conn, db.autocommit(conn):
            row = await (await conn.execute(Q["enqueue_due"])).fetchone()
        return int(row[1]) if row else 0

    async def publish_unless_busy(self) -> int:
        """Publish what is staged, unless rotation jobs are running or due (a storm at a common
        boundary): then the messages wait for the handoffs they report, as deliveries do, but
        never longer than YIELD_LIMIT at a time. Returns how many were published."""
        now = time.monotonic()
        if self._deferred_since is None or now - self._deferred_since < YIELD_LIMIT:
            async with self.pool.connection() as conn:
                busy = await handoffs_busy(conn)
            if busy:
                if self._deferred_since is None:
                    self._deferred_since = now
                return 0
        self._deferred_since = None
        return await self.publish()

    async def publish(self) -> int:
        """Turn the on-call changes the write path staged into messages (0 if another
        process's sweep is doing it); returns how many were written."""
        async with self.pool.connection() as conn, conn.transaction():
            row = await (await conn.execute(Q["publish_staged"])).fetchone()
        return int(row[0]) if row else 0

    async def purge(self) -> int:
        """Delete finished messages past their retention, a few small batches (each its own
        short transaction); returns how many went. What is left waits for the next pass."""
        deleted = 0
        for _ in range(RETENTION_ROUNDS):
            async with self.pool.connection() as conn, conn.transaction():
                cur = await conn.execute(
                    Q["purge_finished"],
                    {
                        "delivered_age": self.retention.delivered,
                        "failed_age": self.retention.failed,
                        "limit": RETENTION_BATCH,
                    },
                )
                batch = len(await cur.fetchall())
            deleted += batch
            if batch < RETENTION_BATCH:
                break
        if deleted:
            log.info("notification retention", messages_deleted=deleted)
        return deleted

    async def retry_stalled_jobs(self) -> None:
        stalled = await self.app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=NOTIFY_STALLED_WORKER_TIMEOUT.total_seconds()
        )
        for job in stalled:
            try:
                await self.app.job_manager.retry_job(job)
            except ConnectorException:
                continue  # its channel has a waiting job already
            log.warning("retried stalled delivery job", job_id=job.id, worker_id=job.worker_id)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:
                log.exception("notification sweep failed")
            await pause(stop, jittered(INTERVAL.total_seconds()))
