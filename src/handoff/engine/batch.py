"""The batch engine: GoAlert's pre-queue rotation manager, ported on purpose (engine.md).

Every `batch_interval_seconds`, one transaction: take the batch lock (one batch engine at a
time, as GoAlert's processing lock did), read every rotation with state (and every one with
participants but no state yet, which it starts), both rows locked and skipping any a queue
job holds, with their overrides and pending scheduled changes; catch each up with the same
function as the queue engine (`state.settle`: boundaries, scheduled changes and override
edges in time order), apply at most `batch_max_advances` of them, write the same history
(engine='batch') and the same next run time (`state.commit`), commit. Its cost grows with
the number of rotations: it is the baseline the queue engine is measured against, and the
path for migrating a deployment. Its memory does not: the rotations are read through
server-side cursors, FETCH_SIZE at a time, each fetch caught up before the next is read (rows
are locked as they are fetched, all of them before the commit, as before).

It runs safely beside the queue engine: both lock the rotation row before its state, history
is unique per boundary (and per instant, cause and override or change), and `state.save`
leaves any job's claim on a rotation intact.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.engine import metrics
from handoff.engine.loops import jittered, pause
from handoff.engine.process import observe
from handoff.store import schedules, state
from handoff.store.queries import Queries

BATCH_LOCK = 0x68616E646F6668  # the cluster-wide batch engine lock
# Rotations fetched per round trip from the cycle's server-side cursors: the engine holds one
# fetch at a time, so its memory does not grow with the number of rotations.
FETCH_SIZE = 1_000

Q = Queries("engine")
log = logs.Logger("handoff.engine.batch")


@dataclass(frozen=True, slots=True)
class CycleResult:
    leader: bool
    rotations: int = 0
    applied: int = 0
    handoffs: int = 0


class BatchEngine:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        interval: timedelta,
        max_advances: int,
        fetch_size: int = FETCH_SIZE,
    ) -> None:
        self.pool = pool
        self.interval = interval
        self.max_advances = max_advances
        self.fetch_size = fetch_size

    async def cycle(self) -> CycleResult:
        """One cycle in one transaction; a no-op when another batch engine holds the lock."""
        started = time.perf_counter()
        committed: list[tuple[UUID, tuple[state.HistoryRow, ...]]] = []
        rotations = 0
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(Q["try_lock"], {"key": BATCH_LOCK})
            row = await cur.fetchone()
            if row is None or not row[0]:
                return CycleResult(leader=False)
            now = row[1]  # the engine's clock (the database's), as GoAlert read it
            for query in ("batch_rotations", "batch_unstarted"):
                async with conn.cursor(query, row_factory=dict_row, scrollable=False) as scur:
                    await scur.execute(Q[query])
                    while rows := await scur.fetchmany(self.fetch_size):
                        rotations += len(rows)
                        await self._apply(conn, rows, now, committed)
            await schedules.record_due(conn)
            await conn.execute(
                Q["record_status"],
                {
                    "key": "batch",
                    "value": Jsonb(
                        {
                            "last_cycle_at": now.isoformat(),
                            "rotations": rotations,
                            "applied": len(committed),
                        }
                    ),
                },
            )
        for rotation_id, written in committed:
            observe(written, rotation_id, now, "batch")
        metrics.BATCH_CYCLE.observe(time.perf_counter() - started)
        return CycleResult(
            leader=True,
            rotations=rotations,
            applied=len(committed),
            handoffs=sum(len(written) for _, written in committed),
        )

    async def _apply(
        self,
        conn: AsyncConnection[Any],
        rows: list[dict[str, Any]],
        now: datetime,
        committed: list[tuple[UUID, tuple[state.HistoryRow, ...]]],
    ) -> None:
        """Catch up one fetch of locked rotations, while the cycle has advances left.

        Their participants and inputs are read for the whole fetch, as the cycle once read
        them for every rotation, so each fetch costs the same statements whatever is due.
        """
        ids = {"rotation_ids": [r["id"] for r in rows]}
        async with conn.cursor(row_factory=dict_row) as dcur:
            await dcur.execute(Q["batch_participants"], ids)
            by_rotation: dict[UUID, list[state.ParticipantRow]] = defaultdict(list)
            for p in await dcur.fetchall():
                rotation_id = p.pop("rotation_id")
                by_rotation[rotation_id].append(state.ParticipantRow(**p))
            await dcur.execute(Q["batch_oncall"], ids)
            inputs = {o.pop("rotation_id"): o for o in await dcur.fetchall()}
        for r in rows:
            if len(committed) >= self.max_advances:
                return
            locked = state.Locked.from_row(r, by_rotation[r["id"]], r | inputs[r["id"]], now)
            try:
                settled = state.settle(locked, strict=True)
            except ValueError as exc:
                log.warning("rotation skipped", rotation_id=str(locked.id), error=str(exc))
                continue
            if not settled.rows and not settled.applied and settled.locked == locked:
                continue
            written = await state.commit(conn, locked, settled, engine="batch")
            committed.append((locked.id, written))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception:
                log.exception("batch cycle failed")
            await pause(stop, jittered(self.interval.total_seconds()))
