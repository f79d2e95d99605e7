"""Queue jobs for operators: list, retry and cancel, through Procrastinate's own SQL functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from handoff.store import audit
from handoff.store.errors import Conflict, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("jobs")
STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")
MAX_JOB_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    queue_name: str
    task_name: str
    status: str
    scheduled_at: datetime | None
    attempts: int
    rotation_ids: list[str]


async def list_jobs(
    conn: AsyncConnection[Any],
    *,
    state: str | None = None,
    rotation_id: UUID | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[Job]:
    check_limit(limit)
    if state is not None and state not in STATES:
        raise invalid("state", f"must be one of {', '.join(STATES)}")
    after = decode(cursor, int) or [None]
    async with conn.cursor(row_factory=class_row(Job)) as cur:
        await cur.execute(
            Q["list_jobs"],
            {
                "status": state,
                "rotation_id": None if rotation_id is None else str(rotation_id),
                "after_id": after[0],
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    return page(rows, limit, lambda j: (j.id,))


async def get(conn: AsyncConnection[Any], job_id: int) -> Job:
    async with conn.cursor(row_factory=class_row(Job)) as cur:
        await cur.execute(Q["get_job"], {"id": job_id})
        job = await cur.fetchone()
    if job is None:
        raise NotFound("job", job_id)
    return job


async def retry(conn: AsyncConnection[Any], job_id: int, *, now: datetime) -> Job:
    """Retry a failed or running job now; other states are a conflict."""
    async with conn.transaction():
        job = await get(conn, job_id)
        if job.status not in ("failed", "doing"):
            raise Conflict(f"job {job_id} is {job.status}: only failed or running jobs can retry")
        await conn.execute(Q["retry_job"], {"id": job_id, "now": now})
        after = await get(conn, job_id)
        await audit.record(
            conn, "job.retry", str(job_id), {"status": job.status}, {"status": after.status}
        )
    return after


async def cancel(conn: AsyncConnection[Any], job_id: int) -> Job:
    """Cancel a waiting job or ask a running one to abort; finished jobs are a conflict."""
    async with conn.transaction():
        job = await get(conn, job_id)
        async with conn.cursor() as cur:
            await cur.execute(Q["cancel_job"], {"id": job_id})
            row = await cur.fetchone()
        if row is None or row[0] is None:
            raise Conflict(f"job {job_id} is {job.status}: only waiting or running jobs cancel")
        after = await get(conn, job_id)
        await audit.record(
            conn, "job.cancel", str(job_id), {"status": job.status}, {"status": after.status}
        )
    return after


async def retry_basis(
    conn: AsyncConnection[Any], job_id: int, queueing_lock: str | None
) -> tuple[datetime, bool]:
    """(the queue's clock now, whether another job waits under the failed job's lock)."""
    cur = await conn.execute(Q["retry_basis"], {"job_id": job_id, "lock": queueing_lock})
    row = await cur.fetchone()
    assert row is not None
    return (row[0], bool(row[1])) if isinstance(row, tuple) else (row["now"], row["superseded"])
