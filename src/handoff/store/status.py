"""The engine as the database sees it (read-only): workers, queue, lag, last repair sweep.

Everything is read from what the engines leave behind (Procrastinate's tables, the
`engine_status` facts they publish, the handoff history), so the status is the same whichever
process serves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff.store.queries import Queries

Q = Queries("status")
LAG_WINDOW = timedelta(hours=1)
# After a rotation's job exhausts its retries, the sweep takes it up again this long after the
# failure (engine.md, "Retries and cool-down"); the status page lists it until then.
FAILED_JOB_COOLDOWN = timedelta(minutes=5)
COOLING_DOWN_SHOWN = 50
# An engine that published nothing for this long is not counted as running.
ENGINE_SILENCE = timedelta(minutes=1)
# The queues' names (handoff.engine.app.QUEUE and handoff.notify.jobs.QUEUE; the store does not
# import the engine): rotation updates and notification deliveries are counted apart.
ROTATIONS_QUEUE = "rotations"
NOTIFICATIONS_QUEUE = "notifications"

Mode = Literal["queue", "batch", "both", "none"]


@dataclass(frozen=True, slots=True)
class Worker:
    id: int
    host: str | None
    started_at: datetime
    last_seen: datetime
    running: int = 0  # jobs it is running now


@dataclass(frozen=True, slots=True)
class CoolingDown:
    """A rotation whose job failed for good, waiting out the cool-down."""

    rotation_id: Any
    name: str
    failed_at: datetime | None
    last_error: str | None
    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class EngineStatus:
    mode: Mode
    workers: list[Worker]
    jobs: dict[str, int]  # rotation update jobs by state
    oldest_due_job_age_seconds: float  # of the rotation update jobs
    last_reconcile_at: datetime | None
    last_reconcile_repairs: int | None
    lag_p50: float | None
    lag_p99: float | None
    handoffs_last_hour: int = 0  # grid handoffs recorded (what the queue's jobs did)
    cooling_down: tuple[CoolingDown, ...] = ()
    notification_jobs: dict[str, int] = field(default_factory=dict)  # deliveries by state


def _mode(workers: list[Worker], facts: dict[str, datetime], now: datetime) -> Mode:
    queue = any(now - w.last_seen < ENGINE_SILENCE for w in workers) or (
        "sweep" in facts and now - facts["sweep"] < ENGINE_SILENCE
    )
    batch = "batch" in facts and now - facts["batch"] < ENGINE_SILENCE
    if queue and batch:
        return "both"
    return "queue" if queue else "batch" if batch else "none"


async def engine_status(conn: AsyncConnection[Any], *, now: datetime) -> EngineStatus:
    """The status page's facts. Procrastinate records no host per worker, so `host` is null."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["workers"])
        workers = [
            Worker(r["id"], None, r["started_at"], r["last_seen"], r["running"])
            for r in await cur.fetchall()
        ]
        by_queue = await queue_counts(conn)
        await cur.execute(Q["oldest_due_age"], {"now": now, "queue": ROTATIONS_QUEUE})
        age = await cur.fetchone()
        await cur.execute(Q["engine_facts"])
        rows = await cur.fetchall()
        facts = {r["key"]: r["updated_at"] for r in rows}
        sweep = next((r["value"] for r in rows if r["key"] == "sweep"), None)
        await cur.execute(Q["lag"], {"since": now - LAG_WINDOW})
        lag = await cur.fetchone()
        await cur.execute(
            Q["cooling_down"], {"cooldown": FAILED_JOB_COOLDOWN, "limit": COOLING_DOWN_SHOWN}
        )
        cooling = tuple(CoolingDown(**r) for r in await cur.fetchall())
    assert age is not None and lag is not None
    return EngineStatus(
        mode=_mode(workers, facts, now),
        workers=workers,
        jobs=by_queue.get(ROTATIONS_QUEUE, {}),
        notification_jobs=by_queue.get(NOTIFICATIONS_QUEUE, {}),
        oldest_due_job_age_seconds=max(float(age["age"]), 0.0),
        last_reconcile_at=max(facts.values()) if facts else None,
        last_reconcile_repairs=None if sweep is None else int(sweep.get("repairs", 0)),
        lag_p50=lag["p50"],
        lag_p99=lag["p99"],
        handoffs_last_hour=lag["handoffs"],
        cooling_down=cooling,
    )


async def queue_counts(conn: AsyncConnection[Any]) -> dict[str, dict[str, int]]:
    """Jobs by queue, then by status: the status page's counts."""
    counts: dict[str, dict[str, int]] = {}
    async with conn.cursor() as cur:
        await cur.execute(Q["job_counts"])
        for queue, status, count in await cur.fetchall():
            counts.setdefault(queue, {})[status] = count
    return counts


async def job_counts(conn: AsyncConnection[Any]) -> dict[str, int]:
    """Rotation update jobs by status: the engine's `handoff_jobs` gauge ("rotation jobs in the
    queue by state"), without the notification deliveries."""
    return (await queue_counts(conn)).get(ROTATIONS_QUEUE, {})


async def schema_revision(conn: AsyncConnection[Any]) -> str | None:
    """The applied migration (compared with the code's head by /readyz, without Alembic's
    synchronous machinery in the event loop)."""
    async with conn.cursor() as cur:
        await cur.execute(Q["schema_revision"])
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def worker_checked_in(conn: AsyncConnection[Any], since: datetime) -> bool:
    async with conn.cursor() as cur:
        await cur.execute(Q["fresh_worker"], {"since": since})
        row = await cur.fetchone()
    return bool(row and row[0])
