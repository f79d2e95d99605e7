"""How a queue engine reaches PostgreSQL: directly, or through a transaction pooler.

Directly, Procrastinate's worker LISTENs for new and due jobs on a connection of the engine's
pool and polls only as a backstop (runner.FETCH_POLLING_INTERVAL). Behind PgBouncer in
transaction mode a LISTEN would be made on whichever server connection the pooler lent for that
one statement and its notifications would go nowhere, so (deploy.md) the worker either LISTENs
on a separate direct URL (`HANDOFF_LISTEN_DATABASE_URL`, past the pooler) or does not LISTEN at
all and polls for due jobs every POOLED_POLLING_INTERVAL: a job then starts up to that long
after it is due (the lag it costs), and each idle worker process makes one fetch per queue per
interval.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import procrastinate
from psycopg import AsyncConnection

from handoff.config import Settings
from handoff.store import db

POOLED_POLLING_INTERVAL = timedelta(milliseconds=500)
LISTENER_NAME = "handoff-listener"  # application_name of the direct LISTEN connection


class DirectListenConnector(procrastinate.PsycopgConnector):
    """Procrastinate's connector, with its LISTEN connection opened on a direct URL.

    Every other statement goes through the engine's pool (and so the pooler). Procrastinate
    opens its listener through `_get_standalone_connection` (pinned version: store/queue_schema),
    and reconnects through it again after the connection is lost.
    """

    def __init__(self, listen_url: str, connection_class: type[AsyncConnection[Any]]) -> None:
        super().__init__()
        self._listen_url = listen_url
        self._connection_class = connection_class

    @contextlib.asynccontextmanager
    async def _get_standalone_connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        async with await self._connection_class.connect(
            self._listen_url, autocommit=True, application_name=LISTENER_NAME
        ) as connection:
            yield connection


@dataclass(frozen=True, slots=True)
class QueueAccess:
    """The Procrastinate connector of an engine and how its workers learn of due jobs."""

    connector: procrastinate.PsycopgConnector
    listen: bool
    polling_interval: timedelta | None  # None: the runner's default backstop

    @classmethod
    def for_settings(
        cls, settings: Settings, connection_class: type[AsyncConnection[Any]]
    ) -> QueueAccess:
        if not db.pooled(settings):
            return cls(procrastinate.PsycopgConnector(), listen=True, polling_interval=None)
        if settings.listen_database_url:
            connector = DirectListenConnector(settings.listen_database_url, connection_class)
            return cls(connector, listen=True, polling_interval=None)
        return cls(
            procrastinate.PsycopgConnector(),
            listen=False,
            polling_interval=POOLED_POLLING_INTERVAL,
        )
