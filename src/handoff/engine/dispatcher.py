"""The dispatcher: moves rotations whose run time has come from the schedule into the queue.

The schedule is `rotation_schedule.next_run_at`, an indexed column, not future-dated queue
rows: a worker's fetch scans every waiting job, so the queue must hold only work due now or
within the look-ahead. One dispatcher runs at a time in the cluster (an advisory lock taken
per tick; every runner process tries, one wins). Each tick is one indexed statement that
turns everything due by `now + DISPATCH_LOOKAHEAD` into jobs, rotations due at the same
instant sharing jobs. Jobs for a future instant are scheduled for exactly that instant, and
the dispatcher wakes the workers with a NOTIFY when it comes, so the insert's cost is paid
ahead of the boundary and the workers start on it at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from psycopg_pool import AsyncConnectionPool

from handoff.clock import Clock
from handoff.engine.loops import pause
from handoff.store.queries import Queries

DISPATCH_LOOKAHEAD = timedelta(milliseconds=500)
MAX_SLEEP = timedelta(seconds=1)
BATCH_SIZE = 100  # rotations per job at most: amortises the queue's per-job cost
# A storm is cut into at least this many jobs (when it has as many rotations): several per
# worker slot, so workers that run faster take more of them and all finish together.
SPREAD = 64
DISPATCH_LIMIT = 20_000  # rotations per statement; a bigger backlog takes several ticks
DISPATCHER_LOCK = 0x68616E646F6666  # "handoff" in ASCII: the cluster-wide dispatcher lock

Q = Queries("engine")
log = structlog.get_logger("handoff.engine.dispatcher")


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick did: whether it held the lock, what it queued, when to look again."""

    leader: bool
    dispatched: int
    scheduled_for: frozenset[datetime]
    next_due: datetime | None


@dataclass
class Dispatcher:
    pool: AsyncConnectionPool[Any]
    clock: Clock
    lookahead: timedelta = DISPATCH_LOOKAHEAD
    batch_size: int = BATCH_SIZE
    _wakeups: set[datetime] = field(default_factory=set)

    def dispatch_params(self, now: datetime) -> dict[str, object]:
        """The parameters of the dispatch statement at `now`."""
        return {
            "now": now,
            "horizon": now + self.lookahead,
            "limit": DISPATCH_LIMIT,
            "batch_size": self.batch_size,
            "spread": SPREAD,
        }

    async def tick(self) -> Tick:
        """Dispatch everything due by now + look-ahead, if this process holds the lock."""
        now = self.clock.now()
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(Q["try_lock"], {"key": DISPATCHER_LOCK})
            row = await cur.fetchone()
            if row is None or not row[0]:
                return Tick(False, 0, frozenset(), None)
            cur = await conn.execute(Q["dispatch_due"], self.dispatch_params(now))
            rows = await cur.fetchall()
            cur = await conn.execute(Q["next_due"])
            due_row = await cur.fetchone()
        scheduled = frozenset(r[2] for r in rows if r[2] is not None)
        if rows:
            log.debug("dispatched", rotations=len(rows), jobs=len({r[1] for r in rows}))
        return Tick(True, len(rows), scheduled, due_row[0] if due_row else None)

    async def wake_workers(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(Q["wake_workers"])

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set, sleeping until the next due time (at most MAX_SLEEP)."""
        while not stop.is_set():
            try:
                wake_at = await self._step()
            except Exception:
                log.exception("dispatcher tick failed")
                wake_at = self.clock.now() + MAX_SLEEP
            await pause(stop, (wake_at - self.clock.now()).total_seconds())

    async def _step(self) -> datetime:
        """The wake-ups now due, then one tick; returns when to step again."""
        due = {w for w in self._wakeups if w <= self.clock.now()}
        if due:
            self._wakeups -= due
            await self.wake_workers()
        tick = await self.tick()
        self._wakeups |= tick.scheduled_for
        now = self.clock.now()
        if tick.dispatched >= DISPATCH_LIMIT:
            return now
        candidates = [now + MAX_SLEEP, *self._wakeups]
        if tick.next_due is not None:
            candidates.append(tick.next_due - self.lookahead)
        return min(candidates)
