"""The delivery job: send the pending messages of (channel, rotation) lines, each line in order.

A line is worked on by one job at a time: the one whose round holds its head message's row
lock. A job works in rounds, each one transaction: it locks up to BATCH_LINES heads that are due
and no other job holds (FOR UPDATE SKIP LOCKED, in one statement); reads them under the locks;
sends every head concurrently (at most SEND_CONCURRENCY at once, over one HTTP client that keeps
its connections to a receiver alive); records every attempt and its decision in one statement
at the engine's clock; and commits, which frees the lines. A line sends one message per round,
so its messages go in order and the next is read only after the previous one's outcome is
committed. The job goes on until no line is due or its budget is spent; the worker's sweep
enqueues a job again when a line comes due (a retry, a re-enabled channel). A worker killed
mid-send leaves its messages pending and its row locks die with its transaction: they are sent
again, with the same ids and bodies, which is why delivery is at least once. No lock outlives
a transaction, so delivery works through a pooler in transaction mode (deploy.md).

Handoffs come first: before each round, while rotation jobs are running or waiting in the queue
(a storm at a common boundary), the job waits for them, up to YIELD_LIMIT; if they are still
busy then, the round sends one line's head only, so that deliveries never take the machine from
the handoffs they report, yet never stop altogether under a steady load of rotation jobs.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from handoff import logs
from handoff.engine import metrics
from handoff.notify import policy, send, signing
from handoff.store.queries import Queries

Q = Queries("notify_delivery")
log = logs.Logger("handoff.notify")
YIELD_PAUSE = 0.25  # seconds between looks at the rotation queue while it is busy
YIELD_LIMIT = 5.0  # seconds a round waits for handoffs at most
BACKLOG_BUDGET = 20.0  # seconds a job goes on taking rounds of due lines
BATCH_LINES = 64  # lines a round locks at most
# Attempts in flight at once in a job, and its HTTP connections. Against a local receiver the
# sends are CPU-bound and each extra connection costs httpcore's pool more per request (one job
# process, 3,000 messages: 328/s at 4, 269/s at 8, 223/s at 16); 8 still keeps a receiver that
# takes 100 ms per answer at 80 messages/s per job.
SEND_CONCURRENCY = 8
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Line:
    channel_id: UUID
    rotation_id: UUID | None


@dataclass(frozen=True, slots=True)
class Sent:
    """One attempt of a round: the head it sent and what came back."""

    head: dict[str, Any]
    result: send.Result


async def deliver_line(
    pool: AsyncConnectionPool[Any],
    channel_id: UUID,
    rotation_id: UUID | None,
    rng: random.Random | None = None,
) -> int:
    """Send what is due on one line, in rounds of its head; returns how many attempts were
    made (none if another job holds the line)."""
    only, rng = Line(channel_id, rotation_id), rng or random.Random()
    made = 0
    async with pool.connection() as conn, send.client() as http:
        while (sent := await _round(conn, http, rng, only=only)) != 0:
            made += sent or 0
    return made


async def deliver_backlog(
    pool: AsyncConnectionPool[Any],
    channel_id: UUID,
    rotation_id: UUID | None,
    budget: float = BACKLOG_BUDGET,
) -> int:
    """The job: a round of its own line, then, for up to `budget` seconds, rounds of any lines
    with a message due that no job holds. After a storm, a few jobs drain the backlog instead of
    each line paying a job's queue overhead; the jobs of lines drained that way find nothing
    left and end."""
    rng = random.Random()
    deadline = time.monotonic() + budget
    async with pool.connection() as conn, send.client(SEND_CONCURRENCY) as http:
        made = await _round(conn, http, rng, only=Line(channel_id, rotation_id)) or 0
        while time.monotonic() < deadline:
            sent = await _round(conn, http, rng)
            if sent == 0:
                break
            made += sent or 0
        return made


async def _round(
    conn: AsyncConnection[Any],
    http: httpx.AsyncClient,
    rng: random.Random,
    only: Line | None = None,
) -> int | None:
    """One transaction: lock due lines, send their heads, record the attempts, commit; returns
    the attempts made: 0 when no line is due that another job does not hold, None when lines
    were locked but none could be sent after all (a channel disabled in between: look again)."""
    busy = await _yield_to_handoffs(conn)
    async with conn.transaction():
        cur = await conn.execute(
            Q["claim_lines"],
            {
                "limit": 1 if only or busy else BATCH_LINES,
                "only_line": only is not None,
                "channel_id": only.channel_id if only else None,
                "rotation_id": only.rotation_id if only else None,
            },
        )
        claimed = await cur.fetchall()
        if not claimed:
            return 0
        await conn.execute(Q["round_without_idle_limit"])
        heads = await _due_heads(conn, [Line(row[0], row[1]) for row in claimed])
        if not heads:
            return None
        started = time.monotonic()

        def clock() -> datetime:
            """The engine's clock as the heads were read, moved on by the time since: it
            stamps the webhooks, converts a Retry-After date and ages the failing streaks; the
            attempts are recorded at the engine's clock itself."""
            moved: datetime = heads[0]["now"] + timedelta(seconds=time.monotonic() - started)
            return moved

        gate = asyncio.Semaphore(SEND_CONCURRENCY)
        sent = await asyncio.gather(*(_send(gate, http, head, clock) for head in heads))
        now = clock()
        results, disabled = _decide(sent, now, rng)
        recorded_at = await _record(conn, results, disabled)
    _observe(sent, results, disabled, recorded_at)
    return len(sent)


async def _due_heads(conn: AsyncConnection[Any], lines: list[Line]) -> list[dict[str, Any]]:
    """The heads of locked lines, read under the locks: those still due to an enabled channel."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            Q["heads"],
            {
                "channel_ids": [line.channel_id for line in lines],
                "rotation_ids": [line.rotation_id for line in lines],
            },
        )
        rows = await cur.fetchall()
    return [r for r in rows if r["disabled_at"] is None and r["next_attempt_at"] <= r["now"]]


async def _send(
    gate: asyncio.Semaphore,
    http: httpx.AsyncClient,
    head: dict[str, Any],
    clock: Callable[[], datetime],
) -> Sent:
    channel = send.Channel(str(head["channel_id"]), head["kind"], head["target"], head["secret"])
    async with gate:
        result = await send.attempt(
            channel,
            signing.message_id(head["message_id"].hex),
            head["payload"],
            sent_at=clock(),
            http=http,
        )
    return Sent(head, result)


def _decide(
    sent: list[Sent], now: datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], set[UUID]]:
    """What to record for each attempt (the record statement's rows), and the channels the
    round disables."""
    results = []
    streaks = []
    for item in sent:
        head, result = item.head, item.result
        decision = policy.decide(
            result.status,
            result.retry_after,
            attempts=head["attempts"] + 1,
            now=now,
            rng=rng,
            first_attempt_at=head["first_attempt_at"],
        )
        outcome = "failed" if result.permanent else decision.outcome
        wait = decision.wait if outcome == "retry" else None
        error = result.error
        if decision.gave_up and not result.permanent:
            error = f"{error}; retried for {policy.MESSAGE_LIMIT // _HOUR} hours, gave up"
        results.append(
            {
                "message_id": str(head["message_id"]),
                "channel_id": str(head["channel_id"]),
                "outcome": outcome,
                "status_code": result.status,
                "error": error,
                "wait_seconds": wait.total_seconds() if wait is not None else None,
            }
        )
        streaks.append((head["channel_id"], outcome == "delivered", head["failing_since"]))
    return results, policy.channels_to_disable(streaks, now)


async def _record(
    conn: AsyncConnection[Any], results: list[dict[str, Any]], disabled: set[UUID]
) -> datetime:
    """Every attempt of a round in one statement, in the round's transaction; returns the
    engine's clock it recorded at."""
    cur = await conn.execute(
        Q["record_attempts"], {"results": json.dumps(results), "disable": list(disabled)}
    )
    row = await cur.fetchone()
    assert row is not None
    recorded_at: datetime = row[0]
    return recorded_at


def _observe(
    sent: list[Sent], results: list[dict[str, Any]], disabled: set[UUID], recorded_at: datetime
) -> None:
    """Metrics for every attempt, a log line for each that failed."""
    for item, recorded in zip(sent, results, strict=True):
        head, outcome = item.head, recorded["outcome"]
        metrics.DELIVERIES.labels(kind=head["kind"], outcome=outcome).inc()
        if outcome == "delivered":
            lag = (recorded_at - head["event_at"]).total_seconds()
            metrics.DELIVERY_LAG.observe(max(lag, 0.0))
            continue
        log.info(
            "delivery attempt failed",
            message_id=signing.message_id(head["message_id"].hex),
            channel_id=recorded["channel_id"],
            outcome=outcome,
            status=item.result.status,
            error=item.result.error,
            disabled=head["channel_id"] in disabled,
        )


async def handoffs_busy(conn: AsyncConnection[Any]) -> bool:
    """Whether rotation jobs are running or due: deliveries and publishing step aside."""
    async with conn.transaction():
        row = await (await conn.execute(Q["handoffs_waiting"])).fetchone()
    return bool(row and row[0])


async def _yield_to_handoffs(conn: AsyncConnection[Any]) -> bool:
    """Wait while rotation jobs are running or due, up to YIELD_LIMIT; returns whether they
    still are."""
    waited = 0.0
    while True:
        if not await handoffs_busy(conn):
            return False
        if waited >= YIELD_LIMIT:
            return True
        await asyncio.sleep(YIELD_PAUSE)
        waited += YIELD_PAUSE
