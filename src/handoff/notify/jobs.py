"""The `deliver_notifications` task on the `notifications` queue.

Its jobs are inserted by SQL (handoff_notify_enqueue in 0009_notify.sql, called by the
worker's sweep), so the name, queue and arguments are a contract with it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import procrastinate
from procrastinate.job_context import JobContext
from psycopg_pool import AsyncConnectionPool

from handoff.notify.deliver import deliver_backlog

TASK_NAME = "deliver_notifications"
QUEUE = "notifications"
POOL_KEY = "notify_pool"


def register(app: procrastinate.App) -> None:
    """Add the task to an app; its worker needs the pool under POOL_KEY in its context."""

    @app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)
    async def deliver_notifications(
        context: JobContext, channel_id: str, rotation_id: str | None
    ) -> None:
        pool: AsyncConnectionPool[Any] = context.additional_context[POOL_KEY]
        await deliver_backlog(pool, UUID(channel_id), UUID(rotation_id) if rotation_id else None)
