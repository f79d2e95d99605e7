"""The dispatcher: moves rotations whose run time has come from the schedule into the queue.

The schedule is `rotation_schedule.next_run_at`, an indexed column, not future-dated queue
rows: a worker's fetch scans every waiting job, so the queue must hold only work due now or
within the look-ahead. One dispatcher runs at a time in the cluster (an advisory lock taken
per tick; every runner process tries, one wins). Each tick is one indexed statement that
turns everything due by the look-ahead into jobs, rotations due at the same instant sharing
jobs. Jobs for a future instant are scheduled for exactly that instant, and the dispatcher
wakes the workers with a NOTIFY when it comes, so the insert's cost is paid ahead of the
boundary and the workers start on it at once.

Time is the database's (engine.md, "One clock"): the statement decides what is due by
`handoff_now()` and answers in *durations* (a job's `wake_in`, the next run's `due_in`), which
this process waits out on its own monotonic clock. So an app host whose clock is seconds off
neither dispatches early nor wakes the workers before the queue thinks the job is due.

The loop never spins: after a tick that could not take what is due (rows a writer holds),
it waits at least MIN_PAUSE, with jitter; wake-ups are concrete future instants.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.engine.loops import jittered, pause
from handoff.store import db
from handoff.store.queries import Queries

DISPATCH_LOOKAHEAD = timedelta(milliseconds=500)
MAX_SLEEP = timedelta(seconds=1)
MIN_PAUSE = timedelta(milliseconds=50)  # after a tick that could not take what is due
WAKE_MARGIN = timedelta(milliseconds=2)  # NOTIFY just after the instant, never before it
BATCH_SIZE = 100  # rotations per job at most: amortises the queue's per-job cost
# A storm is cut into at least this many jobs (when it has as many rotations): several per
# worker slot, so workers that run faster take more of them and all finish together.
SPREAD = 64
DISPATCH_LIMIT = 20_000  # rotations per statement; a bigger backlog takes several ticks
DISPATCHER_LOCK = 0x68616E646F6666  # "handoff" in ASCII: the cluster-wide dispatcher lock

Q = Queries("engine")
S = Queries("schedules")  # schedules are dispatched beside rotations (schedules.md)
log = logs.Logger("handoff.engine.dispatcher")


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick did: whether it held the lock, what it queued, when to look again.

    `wake_in` holds, for the jobs it scheduled in the future, how many seconds from the tick
    they come due; `due_in` is in how many seconds the next unowned run time comes (negative
    if it is already due, None if there is none). Both are durations on the database's clock.
    """

    leader: bool
    dispatched: int
    wake_in: frozenset[float]
    due_in: float | None


@dataclass
class Dispatcher:
    pool: AsyncConnectionPool[Any]
    lookahead: timedelta = DISPATCH_LOOKAHEAD
    batch_size: int = BATCH_SIZE
    _wakeups: set[float] = field(default_factory=set)  # monotonic instants to NOTIFY at

    def dispatch_params(self) -> dict[str, object]:
        """The parameters of the dispatch statement."""
        return {
            "lookahead": self.lookahead,
            "limit": DISPATCH_LIMIT,
            "batch_size": self.batch_size,
            "spread": SPREAD,
        }

    async def tick(self) -> Tick:
        """Dispatch everything due by the look-ahead, if this process holds the lock.

        It first asks when the next run time comes, in one statement on its own (one probe of
        the due index, no lock, no transaction): when nothing comes within the look-ahead,
        that is the whole tick, so an idle engine costs one cheap statement a second.
        """
        async with self.pool.connection() as conn:
            async with db.autocommit(conn):
                due_in = await _next_due(conn)
            if due_in is None or due_in > self.lookahead.total_seconds():
                return Tick(False, 0, frozenset(), due_in)
            return await self._dispatch(conn)

    async def _dispatch(self, conn: AsyncConnection[Any]) -> Tick:
        async with conn.transaction():
            cur = await conn.execute(Q["try_lock"], {"key": DISPATCHER_LOCK})
            row = await cur.fetchone()
            if row is None or not row[0]:
                return Tick(False, 0, frozenset(), None)
            cur = await conn.execute(Q["dispatch_due"], self.dispatch_params())
            rows = await cur.fetchall()
            cur = await conn.execute(S["dispatch_due"], self.dispatch_params())
            rows += await cur.fetchall()
            due_in = await _next_due(conn)
        wake_in = frozenset(r[2] for r in rows if r[2] is not None)
        if rows:
            log.debug("dispatched", rotations=len(rows), jobs=len({r[1] for r in rows}))
        return Tick(True, len(rows), wake_in, due_in)

    async def wake_workers(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(Q["wake_workers"])

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set."""
        next_tick = time.monotonic()
        while not stop.is_set():
            try:
                next_tick = await self._step(next_tick, time.monotonic())
            except Exception:
                log.exception("dispatcher tick failed")
                next_tick = time.monotonic() + jittered(MAX_SLEEP.total_seconds())
            wake_at = min([next_tick, *self._wakeups])
            await pause(stop, wake_at - time.monotonic())

    async def _step(self, next_tick: float, now: float) -> float:
        """The wake-ups due by `now`, then a tick if its time has come; returns the next tick's
        time. Times are this process's monotonic clock."""
        due = {w for w in self._wakeups if w <= now}
        if due:
            self._wakeups -= due
            await self.wake_workers()
        if now < next_tick:
            return next_tick
        tick = await self.tick()
        now = time.monotonic()
        margin = WAKE_MARGIN.total_seconds()
        self._wakeups |= {now + max(0.0, seconds) + margin for seconds in tick.wake_in}
        return now + self.pause_after(tick)

    def pause_after(self, tick: Tick) -> float:
        """How long to wait before the next tick: until the next run time comes within the
        look-ahead (at most MAX_SLEEP); at once only after a full statement (a backlog); at
        least MIN_PAUSE, with jitter, when what is due could not be taken."""
        if tick.dispatched >= DISPATCH_LIMIT:
            return 0.0
        longest = MAX_SLEEP.total_seconds()
        if tick.due_in is None or tick.due_in - self.lookahead.total_seconds() >= longest:
            return jittered(longest)
        wait = tick.due_in - self.lookahead.total_seconds()
        if wait < MIN_PAUSE.total_seconds():
            return jittered(MIN_PAUSE.total_seconds())
        return wait


async def _next_due(conn: AsyncConnection[Any]) -> float | None:
    """In how many seconds the earliest unowned run time of a rotation or a schedule comes."""
    cur = await conn.execute(Q["next_due"])
    row = await cur.fetchone()
    return row[0] if row else None
