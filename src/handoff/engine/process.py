"""Process rotations: one rotation, one transaction (engine.md, "The queue engine").

A job first takes the batched path (`handoff.store.batched`): one read for all its
rotations, the pure core's catch-up for each, one guarded write each in its own transaction,
all in one call; whatever it leaves takes the locked path below.

A job's update of a rotation is the write path with no edit (`state.write`): lock the
rotation, read the database's clock in the same round trip, let the pure core decide
(reconcile, then advance to that instant), write the result and set the next run time to the
next handoff while releasing the rotation from the job that ran it. Nothing here knows a grid,
an advance rule or the time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.engine import metrics
from handoff.store import batched, db, state
from handoff.store.queries import Queries

LATE_WARNING = timedelta(minutes=1)
# Causes recorded at an instant fixed in advance, so their lag is the engine's: the rest are
# edits, recorded when they are made.
TIMED = frozenset({"boundary", "scheduled_change", "override_started", "override_ended"})

Q = Queries("engine")
log = logs.Logger("handoff.engine")


def observe(
    rows: Sequence[state.HistoryRow], rotation_id: UUID, now: datetime, engine: str
) -> None:
    """Count the on-call changes a write recorded, and warn when any boundary, scheduled change
    or override edge was more than a minute late.

    A catch-up after downtime crosses many instants at once: it is one warning per rotation
    (how many were late, the oldest and its lag), not one per instant.
    """
    late: list[state.HistoryRow] = []
    for handoff in rows:
        metrics.HANDOFFS.labels(engine=engine, cause=handoff.cause).inc()
        if handoff.cause not in TIMED:
            continue
        lag = now - handoff.at
        metrics.LAG.observe(lag.total_seconds())
        if lag > LATE_WARNING:
            late.append(handoff)
    if late:
        oldest = min(h.at for h in late)
        log.warning(
            "late handoff",
            rotation_id=str(rotation_id),
            late_boundaries=len(late),
            boundary=oldest.isoformat(),
            lag_seconds=round((now - oldest).total_seconds(), 3),
            engine=engine,
        )


class Processor:
    """Runs the rotation updates of queue jobs on a connection pool."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool

    async def process(
        self, rotation_id: UUID, job_id: int | None
    ) -> tuple[state.HistoryRow, ...] | None:
        """Bring one rotation up to date in its own transaction; returns the history rows it
        wrote, None if the rotation no longer exists."""
        async with self.pool.connection() as conn:
            return await self.update(conn, rotation_id, job_id)

    async def update(
        self, conn: AsyncConnection[Any], rotation_id: UUID, job_id: int | None
    ) -> tuple[state.HistoryRow, ...] | None:
        """One rotation, one transaction on `conn`; None if the rotation no longer exists.

        Raises whatever the rotation's data makes impossible (an unknown time zone written
        by hand): the transaction rolls back and only this rotation is affected.
        """
        written = await state.write(conn, rotation_id, engine="queue", job_id=job_id)
        if written is None:
            return None
        observe(written.rows, rotation_id, written.locked.now, "queue")
        return written.rows

    async def run_job(self, job_id: int | None, rotation_ids: Sequence[UUID]) -> None:
        """Run one update_rotations job.

        The job keeps one connection for all its rotations (a pool checkout per rotation
        costs as much as a statement), each rotation in its own transaction. A
        single-rotation job raises on failure, so Procrastinate retries it with backoff. In a
        batch, a failing rotation is split out into its own job (which then retries alone)
        and the batch goes on: one bad rotation never delays the others.
        """
        started = time.perf_counter()
        outcome = "success"
        try:
            async with self.pool.connection() as conn:
                done = await self.run_batched(conn, job_id, rotation_ids)
                for rotation_id in rotation_ids:
                    if rotation_id in done:
                        continue
                    try:
                        await self.update(conn, rotation_id, job_id)
                    except Exception as exc:
                        metrics.JOB_FAILURES.inc()
                        log.exception(
                            "rotation update failed",
                            rotation_id=str(rotation_id),
                            job_id=job_id,
                            split_out=len(rotation_ids) > 1,
                        )
                        await _record_failure(conn, rotation_id, exc)
                        if len(rotation_ids) == 1:
                            raise
                        await split_out(conn, rotation_id)
        except BaseException:
            outcome = "failure"
            raise
        finally:
            metrics.JOB_DURATION.labels(outcome=outcome).observe(time.perf_counter() - started)

    async def run_batched(
        self, conn: AsyncConnection[Any], job_id: int | None, rotation_ids: Sequence[UUID]
    ) -> set[UUID]:
        """Bring the rotations of a job up to date through the batched path
        (`handoff.store.batched`); returns those it wrote, leaving the rest to the locked
        path. A job of one rotation takes it too: two round trips instead of five."""
        try:
            async with db.autocommit(conn):
                snapshots = await batched.read(conn, rotation_ids)
                plans = [p for s in snapshots if (p := batched.plan(s)) is not None]
                written = await batched.write(conn, plans, job_id=job_id)
        except psycopg.Error as exc:
            log.warning(
                "batched write failed; its rotations take the locked path",
                job_id=job_id,
                rotations=len(rotation_ids),
                error=str(exc),
            )
            metrics.BATCHED.labels(path="locked").inc(len(rotation_ids))
            return set()
        metrics.BATCHED.labels(path="batched").inc(len(written))
        metrics.BATCHED.labels(path="locked").inc(len(rotation_ids) - len(written))
        for p in plans:
            if p.rotation_id in written:
                observe(written[p.rotation_id], p.rotation_id, p.snapshot.locked.now, "queue")
        return set(written)


async def _record_failure(
    conn: AsyncConnection[Any], rotation_id: UUID, exc: BaseException
) -> None:
    """Remember the failure for the cool-down and the engine page, unless the database is gone
    (then the job's own failure is what counts, and the sweep finds the rotation later)."""
    try:
        await state.record_failure(conn, rotation_id, f"{type(exc).__name__}: {exc}")
    except psycopg.Error as error:
        log.warning("could not record the failure", rotation_id=str(rotation_id), error=str(error))


async def split_out(conn: AsyncConnection[Any], rotation_id: UUID) -> None:
    """Give a rotation that failed inside a batch its own job, retried on its own."""
    async with conn.transaction():
        await conn.execute(Q["enqueue_rotations"], {"rotation_ids": [rotation_id]})
