"""The batch engine: GoAlert's pre-queue rotation manager, ported on purpose (engine.md).

Every `batch_interval_seconds`, one transaction: take the batch lock (one batch engine at a
time, as GoAlert's processing lock did), read every rotation with state (and every one with
participants but no state yet, which it starts), both rows locked and skipping any a queue
job holds, with their overrides and pending scheduled changes; catch each up with the same
function as the queue engine (`state.settle`: boundaries, scheduled changes and override
edges in time order), apply at most `batch_max_advances` of them, write the same history
(engine='batch') and the same next run time (`state.commit`), commit. Its cost grows with
the number of rotations: it is the baseline the queue engine is measured against, and the
path for migrating a deployment.

It runs safely beside the queue engine: both lock the rotation row before its state, history
is unique per boundary (and per instant, cause and override or change), and `state.save`
leaves any job's claim on a rotation intact.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from handoff.engine import metrics
from handoff.engine.loops import jittered, pause
from handoff.engine.process import observe
from handoff.store import state
from handoff.store.queries import Queries

BATCH_LOCK = 0x68616E646F6668  # the cluster-wide batch engine lock

Q = Queries("engine")
log = structlog.get_logger("handoff.engine.batch")


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
    ) -> None:
        self.pool = pool
        self.interval = interval
        self.max_advances = max_advances

    async def cycle(self) -> CycleResult:
        """One cycle in one transaction; a no-op when another batch engine holds the lock."""
        started = time.perf_counter()
        committed: list[tuple[UUID, tuple[state.HistoryRow, ...]]] = []
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(Q["try_lock"], {"key": BATCH_LOCK})
            row = await cur.fetchone()
            if row is None or not row[0]:
                return CycleResult(leader=False)
            now = row[1]  # the engine's clock (the database's), as GoAlert read it
            async with conn.cursor(row_factory=dict_row) as dcur:
                await dcur.execute(Q["batch_rotations"])
                rows = await dcur.fetchall()
                await dcur.execute(Q["batch_unstarted"])
                rows += await dcur.fetchall()
                ids = {"rotation_ids": [r["id"] for r in rows]}
                await dcur.execute(Q["batch_participants"], ids)
                by_rotation: dict[UUID, list[state.ParticipantRow]] = defaultdict(list)
                for p in await dcur.fetchall():
                    rotation_id = p.pop("rotation_id")
                    by_rotation[rotation_id].append(state.ParticipantRow(**p))
                await dcur.execute(Q["batch_oncall"], ids)
                inputs = {o.pop("rotation_id"): o for o in await dcur.fetchall()}
            for r in rows:
                if len(committed) >= self.max_advances:
                    break
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
            await conn.execute(
                Q["record_status"],
                {
                    "key": "batch",
                    "value": Jsonb(
                        {
                            "last_cycle_at": now.isoformat(),
                            "rotations": len(rows),
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
            rotations=len(rows),
            applied=len(committed),
            handoffs=sum(len(written) for _, written in committed),
        )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception:
                log.exception("batch cycle failed")
            await pause(stop, jittered(self.interval.total_seconds()))
