"""/api/v1/engine and /api/v1/jobs: the engine's status and the queue (admin only)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from handoff.api import schemas
from handoff.api.auth import ADMIN
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.store import jobs, status
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1", tags=["engine"], dependencies=ADMIN)
JobId = Annotated[int, Path(ge=1, le=jobs.MAX_JOB_ID)]
JobState = Annotated[
    str | None, Query(description=f"One of {', '.join(jobs.STATES)}.", max_length=20)
]


def _job(job: jobs.Job) -> schemas.Job:
    return schemas.Job.model_validate(job, from_attributes=True)


@router.get("/engine", responses=responses(401, 403))
async def engine_status(conn: Conn, now: Now) -> schemas.Engine:
    """Workers, jobs by state (rotation updates and notification deliveries apart), the oldest
    due rotation job's age, the last repair sweep, handoff lag, and the rotations waiting out a
    cool-down after their job failed for good."""
    found = await status.engine_status(conn, now=now)
    return schemas.Engine(
        mode=found.mode,
        workers=[schemas.Worker.model_validate(w, from_attributes=True) for w in found.workers],
        jobs=found.jobs,
        notification_jobs=found.notification_jobs,
        oldest_due_job_age_seconds=found.oldest_due_job_age_seconds,
        last_reconcile_at=found.last_reconcile_at,
        last_reconcile_repairs=found.last_reconcile_repairs,
        handoff_lag_seconds=schemas.Lag(p50=found.lag_p50, p99=found.lag_p99),
        cooling_down=[
            schemas.CoolingDown(
                rotation_id=str(c.rotation_id),
                name=c.name,
                failed_at=c.failed_at,
                last_error=c.last_error,
                retry_at=c.retry_at,
            )
            for c in found.cooling_down
        ],
    )


@router.get("/jobs", responses=responses(401, 403, 422))
async def list_jobs(
    conn: Conn,
    state: JobState = None,
    rotation_id: UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.JobPage:
    """Queue jobs, newest first, optionally by state and by rotation."""
    found = await jobs.list_jobs(
        conn, state=state, rotation_id=rotation_id, limit=limit, cursor=cursor
    )
    return schemas.JobPage(items=[_job(j) for j in found.items], next_cursor=found.next_cursor)


@router.post("/jobs/{job_id}/retry", responses=responses(401, 403, 404, 409, 422))
async def retry_job(job_id: JobId, conn: Conn, now: Now) -> schemas.Job:
    """Run a failed (or stuck running) job again now."""
    return _job(await jobs.retry(conn, job_id, now=now))


@router.post("/jobs/{job_id}/cancel", responses=responses(401, 403, 404, 409, 422))
async def cancel_job(job_id: JobId, conn: Conn) -> schemas.Job:
    """Cancel a waiting job, or ask a running one to abort."""
    return _job(await jobs.cancel(conn, job_id))
