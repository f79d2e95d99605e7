"""The missed-update sweep: no rotation can stay stuck (engine.md, "The queue engine").

Every SWEEP_INTERVAL (with jitter) it
- retries the jobs of workers whose heartbeat stopped (a worker killed mid-job or cut off),
  through Procrastinate's own stalled-job query and retry; between passes the sweeping process
  counts them in its look for due jobs every WAKE_INTERVAL (idle: one more index probe in the
  same statement) and retries them when there are any, so a dead worker's job runs again
  within STALLED_WORKER_TIMEOUT + WAKE_INTERVAL (4 s; deploy.md asks 5 s);
- re-enqueues overdue rotations whose owning job can no longer run them: deleted, finished
  without releasing them, pointing nowhere, or failed (after FAILED_JOB_COOLDOWN counted from
  the failure, so a rotation that keeps failing costs a bounded amount of work per hour);
- every PURGE_INTERVAL, deletes finished queue rows past their retention age, and history
  past HANDOFF_HISTORY_RETENTION_DAYS when that is set, a few small batches per pass;
- records open swap requests whose start has passed as expired;
- refreshes the queue and overdue gauges;
- wakes the workers of any queue with a job due and waiting (a retry come due, a dead
  worker's job put back: Procrastinate sends no NOTIFY for those, and its workers poll only
  every few tens of seconds, engine/runner.py). Until the next pass it looks again every
  WAKE_INTERVAL, and at the instant the next waiting job comes due, so a retry runs when its
  backoff ends and a lost wake-up costs at most about a second, as with a 1-s poll. One look
  (an index probe that finds nothing, when idle) in the one process holding the sweep lock
  replaces every worker's polling fetch on every queue.
Overdue and cool-down are decided by the database's clock, in the statements themselves.
Every ORPHAN_SCAN_INTERVAL it also looks for rotations with participants that the schedule
does not cover (a restore, rows deleted by hand). That query reads every rotation with
participants (hash anti-joins over rotations, participants, state and schedule: about 90 ms
per 100,000 rotations measured on PostgreSQL 15 here), so it runs every ten minutes, not every
tick; the other queries read only overdue rows through the partial indexes and the small
jobs table.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import procrastinate
from procrastinate.exceptions import ConnectorException
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.config import Settings
from handoff.engine import metrics
from handoff.engine.app import QUEUE
from handoff.engine.loops import jittered, pause
from handoff.store import audit, clock, status, swaps
from handoff.store.queries import Queries
from handoff.store.status import FAILED_JOB_COOLDOWN

SWEEP_INTERVAL = timedelta(seconds=5)
PURGE_INTERVAL = timedelta(seconds=30)
ORPHAN_SCAN_INTERVAL = timedelta(minutes=10)
OVERDUE_GRACE = timedelta(seconds=5)  # a rotation this late with a dead job is a missed update
REPAIR_LIMIT = 1_000  # rotations repaired per sweep; the rest on the next
RETENTION_BATCH = 500  # finished queue rows (and history rows) deleted per statement
RETENTION_ROUNDS = 4  # statements per pass at most: a backlog drains over several passes
# No heartbeat for this long: the worker is dead (two heartbeats missed, engine/runner.py).
# With a look every WAKE_INTERVAL after it, a dead worker's job is retried within 4 s of its
# death. A live worker taken for dead (its event loop stalled 3 s) is harmless: the retry and
# the first run lock the rotation in turn and the second changes nothing; the first run's
# finish marks the retried job done.
STALLED_WORKER_TIMEOUT = timedelta(seconds=3)
WAKE_MARGIN = timedelta(milliseconds=2)  # NOTIFY just after a job comes due, never before
WAKE_INTERVAL = timedelta(seconds=1)  # how often the sweeping process looks for due jobs
SWEEP_LOCK = 0x68616E646F6667  # the cluster-wide sweep lock: one sweep at a time

Q = Queries("engine")
log = logs.Logger("handoff.engine.sweep")


@dataclass(frozen=True, slots=True)
class Retention:
    """How long finished queue rows (and, if set, history rows) and audit entries are kept."""

    succeeded: timedelta = timedelta(hours=1)
    failed: timedelta = timedelta(days=7)
    history: timedelta | None = None
    audit: timedelta = timedelta(days=400)

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        days = settings.history_retention_days
        return cls(
            succeeded=timedelta(minutes=settings.queue_retention_succeeded_minutes),
            failed=timedelta(days=settings.queue_retention_failed_days),
            history=None if days is None else timedelta(days=days),
            audit=timedelta(days=settings.audit_days),
        )


@dataclass(frozen=True, slots=True)
class Wake:
    """What a look for due jobs found: how many queues it woke, and in how many seconds the
    next waiting job comes due (real time; None when none waits for a later instant)."""

    woken: int
    next_due_in: float | None
    stalled: int = 0  # running jobs of dead workers, for retry_stalled_jobs

    def look_again_in(self) -> float:
        """When to look again, in seconds: the next job's instant, or WAKE_INTERVAL."""
        wait = WAKE_INTERVAL.total_seconds()
        if self.next_due_in is None:
            return wait
        return min(wait, self.next_due_in + WAKE_MARGIN.total_seconds())


@dataclass(frozen=True, slots=True)
class SweepResult:
    repaired: list[UUID]
    stalled_jobs_retried: list[int]
    jobs_deleted: int = 0
    history_deleted: int = 0
    # What the queue looked like after the pass, not what the pass did: not compared.
    wake: Wake | None = field(default=None, compare=False)
    audit_deleted: int = 0


@dataclass
class Sweep:
    pool: AsyncConnectionPool[Any]
    app: procrastinate.App
    retention: Retention = field(default_factory=Retention)
    _last_orphan_scan: float | None = None
    _last_purge: float | None = None

    async def retry_stalled_jobs(self) -> list[int]:
        """Put the running jobs of dead workers back in the queue; their retry is idempotent."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=STALLED_WORKER_TIMEOUT.total_seconds()
        )
        retried: list[int] = []
        for job in stalled:
            assert job.id is not None
            try:
                await self.app.job_manager.retry_job(job)
            except ConnectorException as exc:
                # Finished meanwhile (its worker was slow, not dead), or its rotation got a new
                # waiting job: an expected race after an outage, with nothing left to do.
                log.info("stalled job moved on before its retry", job_id=job.id, reason=str(exc))
                continue
            log.warning("retried stalled job", job_id=job.id, worker_id=job.worker_id)
            retried.append(job.id)
        return retried

    async def repair(self, *, scan_unscheduled: bool) -> list[UUID]:
        """Re-enqueue lost rotations (and unscheduled ones when asked); returns their ids."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                Q["lost_rotations"],
                {"grace": OVERDUE_GRACE, "cooldown": FAILED_JOB_COOLDOWN, "limit": REPAIR_LIMIT},
            )
            lost = await cur.fetchall()
            for rotation_id, job_id, job_status, overdue in lost:
                log.warning(
                    "missed update repaired",
                    rotation_id=str(rotation_id),
                    job_id=job_id,
                    job_status=job_status or "missing",
                    overdue_seconds=round(overdue, 3),
                )
            ids: list[UUID] = [row[0] for row in lost]
            if scan_unscheduled:
                cur = await conn.execute(Q["unscheduled_rotations"], {"limit": REPAIR_LIMIT})
                for (rotation_id,) in await cur.fetchall():
                    log.warning("unscheduled rotation repaired", rotation_id=str(rotation_id))
                    ids.append(rotation_id)
            if ids:
                await conn.execute(Q["enqueue_rotations"], {"rotation_ids": ids})
            now = await clock.read(conn)
            await conn.execute(
                Q["record_status"],
                {
                    "key": "sweep",
                    "value": Jsonb({"last_sweep_at": now.isoformat(), "repairs": len(ids)}),
                },
            )
        metrics.DISPATCH_REPAIRS.inc(len(ids))
        return ids

    async def expire_swaps(self) -> int:
        """Record open swap requests whose start has passed as expired (people.md), at the
        database's clock; reads only the open ones (a partial index)."""
        async with self.pool.connection() as conn, conn.transaction():
            expired = await swaps.expire_due(conn)
        if expired:
            log.info("swap requests expired", count=expired)
        return expired

    async def purge(self) -> tuple[int, int]:
        """Delete finished queue rows and, if configured, old history, in small batches.

        Returns how many queue rows and history rows went. Each batch is its own short
        transaction, so the engine's writes never wait long behind it.
        """
        jobs = history = 0
        for _ in range(RETENTION_ROUNDS):
            deleted = await self._delete(
                "delete_finished_jobs",
                {
                    "succeeded_age": self.retention.succeeded,
                    "failed_age": self.retention.failed,
                },
            )
            jobs += deleted
            if deleted < RETENTION_BATCH:
                break
        if self.retention.history is not None:
            for _ in range(RETENTION_ROUNDS):
                deleted = await self._delete("delete_old_history", {"age": self.retention.history})
                history += deleted
                if deleted < RETENTION_BATCH:
                    break
        if jobs or history:
            log.info("retention", queue_rows_deleted=jobs, history_rows_deleted=history)
        return jobs, history

    async def purge_audit(self) -> int:
        """Delete audit entries older than their retention, in small batches (each its own
        transaction); how many went."""
        deleted = 0
        for _ in range(RETENTION_ROUNDS):
            async with self.pool.connection() as conn, conn.transaction():
                batch = await audit.prune(conn, self.retention.audit, RETENTION_BATCH)
            deleted += batch
            if batch < RETENTION_BATCH:
                break
        if deleted:
            log.info("audit retention", audit_entries_deleted=deleted)
        return deleted

    async def _delete(self, query: str, params: dict[str, object]) -> int:
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(Q[query], params | {"limit": RETENTION_BATCH})
            return len(await cur.fetchall())

    async def wake_due_jobs(self) -> Wake:
        """NOTIFY the workers of each queue with a job due and waiting."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                Q["wake_due_jobs"], {"stalled": STALLED_WORKER_TIMEOUT, "queue": QUEUE}
            )
            row = await cur.fetchone()
        assert row is not None
        wake = Wake(*row)
        if wake.woken:
            log.debug("woke the workers for due jobs", queues=wake.woken)
        return wake

    async def refresh_gauges(self) -> None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(Q["overdue_count"], {"grace": OVERDUE_GRACE})
            row = await cur.fetchone()
            metrics.ROTATIONS_OVERDUE.set(row[0] if row else 0)
            counts = await status.job_counts(conn)
        for state in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
            metrics.JOBS.labels(state=state).set(counts.get(state, 0))

    async def sweep(self) -> SweepResult | None:
        """One pass if no other process is sweeping (None otherwise).

        The unscheduled-rotation scan and the retention purge run only when their intervals
        have passed.
        """
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(Q["try_lock"], {"key": SWEEP_LOCK})
            row = await cur.fetchone()
            if row is None or not row[0]:
                return None
            started = time.monotonic()
            scan = _due(self._last_orphan_scan, started, ORPHAN_SCAN_INTERVAL)
            if scan:
                self._last_orphan_scan = started
            retried = await self.retry_stalled_jobs()
            repaired = await self.repair(scan_unscheduled=scan)
            await self.expire_swaps()
            jobs_deleted = history_deleted = audit_deleted = 0
            if _due(self._last_purge, started, PURGE_INTERVAL):
                self._last_purge = started
                jobs_deleted, history_deleted = await self.purge()
                audit_deleted = await self.purge_audit()
        await self.refresh_gauges()
        wake = await self.wake_due_jobs()
        return SweepResult(
            repaired, retried, jobs_deleted, history_deleted, wake, audit_deleted=audit_deleted
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every SWEEP_INTERVAL (with jitter); between two passes of this process's,
        look for due jobs every WAKE_INTERVAL and when the next one comes due."""
        while not stop.is_set():
            next_pass = time.monotonic() + jittered(SWEEP_INTERVAL.total_seconds())
            wake: Wake | None = None
            try:
                result = await self.sweep()
                wake = result.wake if result else None
            except Exception:
                log.exception("sweep failed")
            while wake is not None and not stop.is_set():
                wait = wake.look_again_in()
                if time.monotonic() + wait >= next_pass:
                    break
                await pause(stop, wait)
                try:
                    wake = await self.wake_due_jobs()
                    if wake.stalled:
                        await self.retry_stalled_jobs()
                        wake = await self.wake_due_jobs()
                except Exception:
                    log.exception("waking the workers failed")
                    wake = None
            await pause(stop, next_pass - time.monotonic())


def _due(last: float | None, now: float, interval: timedelta) -> bool:
    """Whether a periodic part of the sweep is due (monotonic seconds; never run: due)."""
    return last is None or now - last >= interval.total_seconds()
