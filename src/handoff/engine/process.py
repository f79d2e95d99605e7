"""Process rotations: one rotation, one transaction (engine.md, "The queue engine").

The transaction locks the rotation (state.lock), lets the pure core decide everything
(rotation.update: reconcile, then advance to now), writes the result (state.save), and sets the
next run time to the next handoff while releasing the rotation from the job that ran it
(in the same statement). Nothing here knows a grid or an advance rule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff import rotation
from handoff.clock import Clock
from handoff.engine import metrics
from handoff.store import state
from handoff.store.queries import Queries

LATE_WARNING = timedelta(minutes=1)

Q = Queries("engine")
log = structlog.get_logger("handoff.engine")


def observe(change: rotation.Change, rotation_id: UUID, now: datetime, engine: str) -> None:
    """Count the handoffs of a committed change, and warn when any was more than a minute late.

    A catch-up after downtime crosses many boundaries at once: it is one warning per rotation
    (how many were late, the oldest and its lag), not one per boundary.
    """
    late: list[rotation.Handoff] = []
    for handoff in change.handoffs:
        metrics.HANDOFFS.labels(engine=engine, cause=handoff.cause).inc()
        if handoff.cause != "boundary":
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
    """Runs the rotation updates of queue jobs on a connection pool, with a clock."""

    def __init__(self, pool: AsyncConnectionPool[Any], clock: Clock) -> None:
        self.pool = pool
        self.clock = clock

    async def process(self, rotation_id: UUID, job_id: int | None) -> rotation.Change | None:
        """Bring one rotation up to date in its own transaction; None if it no longer exists."""
        async with self.pool.connection() as conn:
            return await self.update(conn, rotation_id, job_id)

    async def update(
        self, conn: AsyncConnection[Any], rotation_id: UUID, job_id: int | None
    ) -> rotation.Change | None:
        """One rotation, one transaction on `conn`; None if the rotation no longer exists.

        Raises whatever the rotation's data makes impossible (an unknown time zone written
        by hand): the transaction rolls back and only this rotation is affected.
        """
        async with conn.transaction():
            locked = await state.lock(conn, rotation_id)
            if locked is None:
                return None
            now = self.clock.now()
            grid = locked.grid()
            change = rotation.update(
                grid, locked.state, locked.core_participants(), locked.grid_changed_at, now
            )
            await state.save(
                conn,
                locked,
                change,
                engine="queue",
                now=now,
                next_run_at=rotation.next_run_at(grid, change.state),
                job_id=job_id,
            )
        observe(change, rotation_id, now, "queue")
        return change

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
                for rotation_id in rotation_ids:
                    try:
                        await self.update(conn, rotation_id, job_id)
                    except Exception:
                        metrics.JOB_FAILURES.inc()
                        log.exception(
                            "rotation update failed",
                            rotation_id=str(rotation_id),
                            job_id=job_id,
                            split_out=len(rotation_ids) > 1,
                        )
                        if len(rotation_ids) == 1:
                            raise
                        await split_out(conn, rotation_id)
        except BaseException:
            outcome = "failure"
            raise
        finally:
            metrics.JOB_DURATION.labels(outcome=outcome).observe(time.perf_counter() - started)


async def split_out(conn: AsyncConnection[Any], rotation_id: UUID) -> None:
    """Give a rotation that failed inside a batch its own job, retried on its own."""
    async with conn.transaction():
        await conn.execute(Q["enqueue_rotations"], {"rotation_ids": [rotation_id]})
