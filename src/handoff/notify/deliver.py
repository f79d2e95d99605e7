"""The delivery job: send the pending messages of one (channel, rotation) line, in order.

A line is worked on by one job at a time (a session advisory lock; a second job for the same
line just ends). The job sends the oldest pending message, records the attempt and its
decision in one statement, and goes on until the line is empty, its head must wait for a
retry, or the channel is disabled; the worker's sweep enqueues the line again when its head
comes due. A worker killed mid-send leaves the message pending: it is sent again, with the same
id and body, which is why delivery is at least once.

Handoffs come first: while rotation jobs are running or waiting in the queue (a storm at a
common boundary), each send waits for them, up to YIELD_LIMIT, so that deliveries never take the
machine from the handoffs they report.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any
from uuid import UUID

import structlog
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from handoff.engine import metrics
from handoff.notify import policy, send, signing
from handoff.store import clock
from handoff.store.queries import Queries

Q = Queries("notify_delivery")
log = structlog.get_logger("handoff.notify")
YIELD_PAUSE = 0.25  # seconds between looks at the rotation queue while it is busy
YIELD_LIMIT = 5.0  # seconds a send waits for handoffs at most
BACKLOG_BUDGET = 20.0  # seconds a job goes on with other lines after its own
BACKLOG_BATCH = 50  # lines looked up at a time


def line_key(channel_id: UUID, rotation_id: UUID | None) -> str:
    return f"notify:{channel_id}:{rotation_id or '-'}"


async def deliver_line(
    pool: AsyncConnectionPool[Any],
    channel_id: UUID,
    rotation_id: UUID | None,
    rng: random.Random | None = None,
) -> int:
    """Send what is due on the line; returns how many attempts were made."""
    async with pool.connection() as conn:
        return await _deliver_locked(conn, channel_id, rotation_id, rng or random.Random())


async def deliver_backlog(
    pool: AsyncConnectionPool[Any],
    channel_id: UUID,
    rotation_id: UUID | None,
    budget: float = BACKLOG_BUDGET,
) -> int:
    """The job: its line, then, for up to `budget` seconds, other lines with a message due
    that no job holds. After a storm, a few jobs drain the backlog instead of each line paying
    a job's queue overhead; the jobs of lines drained that way find nothing left and end."""
    rng = random.Random()
    deadline = time.monotonic() + budget
    async with pool.connection() as conn:
        made = await _deliver_locked(conn, channel_id, rotation_id, rng)
        tried = {(channel_id, rotation_id)}
        while time.monotonic() < deadline:
            async with conn.transaction():
                cur = await conn.execute(Q["due_lines"], {"limit": BACKLOG_BATCH})
                lines = [(r[0], r[1]) for r in await cur.fetchall()]
            lines = [line for line in lines if line not in tried]
            if not lines:
                return made
            for other in lines:
                tried.add(other)
                made += await _deliver_locked(conn, *other, rng)
                if time.monotonic() >= deadline:
                    break
        return made


async def _deliver_locked(
    conn: AsyncConnection[Any], channel_id: UUID, rotation_id: UUID | None, rng: random.Random
) -> int:
    line = {"line": line_key(channel_id, rotation_id)}
    async with conn.transaction():
        locked = await (await conn.execute(Q["try_lock_line"], line)).fetchone()
    if not locked or not locked[0]:
        return 0
    try:
        return await _drain(conn, channel_id, rotation_id, rng)
    finally:
        async with conn.transaction():
            await conn.execute(Q["unlock_line"], line)


async def _drain(
    conn: AsyncConnection[Any], channel_id: UUID, rotation_id: UUID | None, rng: random.Random
) -> int:
    made = 0
    while True:
        async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["head"], {"channel_id": channel_id, "rotation_id": rotation_id})
            head = await cur.fetchone()
        if (
            head is None
            or head["message_id"] is None
            or head["disabled_at"] is not None
            or head["next_attempt_at"] > head["now"]
        ):
            return made
        await _yield_to_handoffs(conn)
        channel = send.Channel(str(channel_id), head["kind"], head["target"], head["secret"])
        msg_id = signing.message_id(head["message_id"].hex)
        result = await send.attempt(channel, msg_id, head["payload"])
        made += 1
        async with conn.transaction():
            now = await clock.read(conn)
            decision = policy.decide(
                result.status,
                result.retry_after,
                attempts=head["attempts"] + 1,
                now=now,
                rng=rng,
            )
            outcome = "failed" if result.permanent else decision.outcome
            disable = outcome != "delivered" and policy.channel_exhausted(
                head["failing_since"] or now, now
            )
            await conn.execute(
                Q["record_attempt"],
                {
                    "message_id": head["message_id"],
                    "channel_id": channel_id,
                    "at": now,
                    "outcome": outcome,
                    "status_code": result.status,
                    "error": result.error,
                    "next_attempt_at": decision.next_attempt_at if outcome == "retry" else None,
                    "disable": disable,
                },
            )
        metrics.DELIVERIES.labels(kind=head["kind"], outcome=outcome).inc()
        if outcome == "delivered":
            metrics.DELIVERY_LAG.observe(max((now - head["event_at"]).total_seconds(), 0.0))
        else:
            log.info(
                "delivery attempt failed",
                message_id=msg_id,
                channel_id=str(channel_id),
                outcome=outcome,
                status=result.status,
                error=result.error,
                disabled=disable,
            )
        if outcome == "retry":
            return made


async def _yield_to_handoffs(conn: AsyncConnection[Any]) -> None:
    waited = 0.0
    while waited < YIELD_LIMIT:
        async with conn.transaction():
            row = await (await conn.execute(Q["handoffs_waiting"])).fetchone()
        if not row or not row[0]:
            return
        await asyncio.sleep(YIELD_PAUSE)
        waited += YIELD_PAUSE
