"""The Procrastinate app: the `update_rotations` task on the `rotations` queue.

Jobs are inserted by SQL (the schema's triggers and the dispatcher), never deferred from
Python, so the task's name, queue and argument shape (`{"rotation_ids": [...]}`) are a contract
with `0002_handoff.sql` and `engine.sql`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import procrastinate
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision

from handoff.engine.process import Processor
from handoff.notify import jobs as notify_jobs

TASK_NAME = "update_rotations"
QUEUE = "rotations"
PROCESSOR_KEY = "processor"

RETRY_BASE_SECONDS = 2  # waits 2, 4, 8, ... seconds
RETRY_MAX_WAIT = timedelta(minutes=1)
RETRY_MAX_ATTEMPTS = 12  # about 8 minutes of retries; then the sweep takes over


class CappedExponentialRetry(procrastinate.RetryStrategy):
    """Exponential backoff with a ceiling, so a rotation fixed by hand recovers within a minute."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        decision = super().get_retry_decision(exception=exception, job=job)
        if decision is None or decision.retry_at is None:
            return decision
        latest = datetime.now(UTC) + RETRY_MAX_WAIT
        return RetryDecision(retry_at=min(decision.retry_at, latest))


RETRY = CappedExponentialRetry(max_attempts=RETRY_MAX_ATTEMPTS, exponential_wait=RETRY_BASE_SECONDS)


def build_app(connector: procrastinate.PsycopgConnector) -> procrastinate.App:
    """An app whose worker runs `update_rotations` with the Processor in its job context."""
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=RETRY)
    async def update_rotations(context: JobContext, rotation_ids: list[str]) -> None:
        processor = context.additional_context[PROCESSOR_KEY]
        assert isinstance(processor, Processor)
        await processor.run_job(context.job.id, [UUID(r) for r in rotation_ids])

    notify_jobs.register(app)
    return app
