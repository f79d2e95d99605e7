"""The `update_rotations` task on the `rotations` queue (the app that also runs the
notifications' task is composed above engine and notify, in `handoff.worker`).

Jobs are inserted by SQL (the schema's triggers and the dispatcher), never deferred from
Python, so the task's name, queue and argument shape (`{"rotation_ids": [...]}`) are a contract
with `0002_handoff.sql` and `engine.sql`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import procrastinate
import psycopg
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision
from psycopg_pool import PoolTimeout

from handoff.engine.process import Processor
from handoff.store import jobs, schedules

TASK_NAME = "update_rotations"
SCHEDULES_TASK = "update_schedules"
QUEUE = "rotations"
PROCESSOR_KEY = "processor"

RETRY_BASE_SECONDS = 2  # waits 2, 4, 8, ... seconds
RETRY_MAX_WAIT = timedelta(minutes=1)
RETRY_MAX_ATTEMPTS = 12  # about 8 minutes of retries; then the sweep takes over


class JobFailed(Exception):
    """A job's failure, with what its retry depends on: the queue's clock (the database's
    time) when it failed, None when the database could not be asked, so the retry is scheduled
    on that clock and not on this host's, which may be off (engine.md, "One clock"); and
    whether a change queued another job for its rotation meanwhile: then it is not retried (it
    could not wait beside that job: one waiting job per rotation) and that job does the work."""

    def __init__(self, database_now: datetime | None, superseded: bool) -> None:
        super().__init__("the rotation update failed")
        self.database_now = database_now
        self.superseded = superseded


class CappedExponentialRetry(procrastinate.RetryStrategy):
    """Exponential backoff with a ceiling, so a rotation fixed by hand recovers within a minute.

    Procrastinate counts the wait from this host's clock; the wait is kept and counted from the
    database's clock at the failure instead, whenever the failure carries it."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        host_now = datetime.now(UTC)
        decision = super().get_retry_decision(exception=exception, job=job)
        if decision is None or decision.retry_at is None:
            return decision
        wait = min(decision.retry_at - host_now, RETRY_MAX_WAIT)
        if not isinstance(exception, JobFailed):
            return RetryDecision(retry_at=host_now + wait)
        if exception.superseded:
            return None
        return RetryDecision(retry_at=(exception.database_now or host_now) + wait)


RETRY = CappedExponentialRetry(max_attempts=RETRY_MAX_ATTEMPTS, exponential_wait=RETRY_BASE_SECONDS)


async def _failed(processor: Processor, job: Job) -> JobFailed:
    """The failure with its retry's basis; without one if the database is away (the retry
    cannot be written then either: the stalled-job sweep takes the job up)."""
    assert job.id is not None
    try:
        async with processor.pool.connection(timeout=5) as conn:
            return JobFailed(*await jobs.retry_basis(conn, job.id, job.queueing_lock))
    except (psycopg.Error, PoolTimeout):
        return JobFailed(None, superseded=False)


def register(app: procrastinate.App) -> None:
    """Add the task to an app; its worker needs the Processor under PROCESSOR_KEY in its
    context."""

    @app.task(name=SCHEDULES_TASK, queue=QUEUE, pass_context=True, retry=RETRY)
    async def update_schedules(context: JobContext, schedule_ids: list[str]) -> None:
        """Record schedules' final changes (schedules.md): the schedule reads its layers
        through the projection and takes no rotation's lock, so neither waits for the other."""
        processor = context.additional_context[PROCESSOR_KEY]
        assert isinstance(processor, Processor)
        try:
            async with processor.pool.connection() as conn:
                await schedules.record(conn, [UUID(s) for s in schedule_ids])
        except Exception as exc:
            raise await _failed(processor, context.job) from exc

    @app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=RETRY)
    async def update_rotations(context: JobContext, rotation_ids: list[str]) -> None:
        processor = context.additional_context[PROCESSOR_KEY]
        assert isinstance(processor, Processor)
        try:
            await processor.run_job(context.job.id, [UUID(r) for r in rotation_ids])
        except Exception as exc:
            raise await _failed(processor, context.job) from exc
