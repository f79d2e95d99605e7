"""The audit log (people.md): who wrote what, when, before and after.

Rows are made by the database: triggers on every table people write (0018_audit.sql) copy the
row before and after into `audit_log` in the writing transaction, at the database's clock. A
trigger sees every write however it was made, so no store function, cascade or query added
later can skip the log; what the trigger cannot know is who writes, and that is the one thing
this module supplies. A connection that acts for someone (`Audited`, with a `Writer`) names
the writer in the transaction-local setting `handoff.audit` as every transaction begins:
transaction-local, so a connection handed on through a transaction pooler (PgBouncer) never
carries one request's writer into another's transaction. The engine's processes never set it,
so their writes (the history) are not audited.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Self
from uuid import UUID

from psycopg import AsyncConnection, AsyncCursor, AsyncTransaction
from psycopg.abc import Params, QueryNoTemplate
from psycopg.pq import TransactionStatus
from psycopg.rows import Row, class_row

from handoff.store import times
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("audit")
Via = Literal["api", "web", "cli", "import"]


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes, through what: a person, a token, or (the CLI) the OS user."""

    via: Via
    route: str  # "POST /api/v1/rotations", "handoff user edit"
    name: str  # a token's name, or the OS user; a person's own name is looked up by the log
    user_id: UUID | None = None
    token_id: UUID | None = None

    def setting(self) -> str:
        return json.dumps(
            {
                "via": self.via,
                "route": self.route,
                "name": self.name,
                "user_id": None if self.user_id is None else str(self.user_id),
                "token_id": None if self.token_id is None else str(self.token_id),
            }
        )


class _Cursor(AsyncCursor[Row]):
    """A statement run on its own (autocommit, outside any transaction) by a connection acting
    for someone runs in a transaction of its own that names the writer: a lone INSERT is
    audited as a transaction's are."""

    async def execute(  # type: ignore[override]
        self,
        query: QueryNoTemplate,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        conn = self.connection
        if (
            isinstance(conn, Audited)
            and conn.writer is not None
            and conn.info.transaction_status == TransactionStatus.IDLE
        ):
            async with conn.transaction():
                return await super().execute(query, params, prepare=prepare, binary=binary)
        return await super().execute(query, params, prepare=prepare, binary=binary)


class Audited(AsyncConnection[Any]):
    """A connection whose writes are audited as `writer`'s while one is set: every
    transaction names the writer as it begins, and a lone statement gets a transaction."""

    writer: Writer | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = _Cursor

    @contextlib.asynccontextmanager
    async def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> AsyncIterator[AsyncTransaction]:
        async with super().transaction(savepoint_name, force_rollback) as tx:
            if self.writer is not None:
                await self.execute(Q["name_writer"], {"writer": self.writer.setting()})
            yield tx


def act_as(conn: AsyncConnection[Any], writer: Writer | None) -> None:
    """Audit `conn`'s next transactions as `writer`'s (None: stop)."""
    if not isinstance(conn, Audited):
        raise TypeError("writes are audited only through a handoff.store.audit.Audited connection")
    conn.writer = writer


async def record(
    conn: AsyncConnection[Any],
    action: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """An entry for a write to a table the triggers do not watch (the queue's jobs, whose
    schema is procrastinate's); in the caller's transaction, and nothing when nobody writes."""
    await conn.execute(
        Q["record"],
        {
            "action": action,
            "object_type": action.partition(".")[0],
            "object_id": object_id,
            "before": None if before is None else json.dumps(before),
            "after": None if after is None else json.dumps(after),
        },
    )


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: datetime
    actor_user_id: UUID | None
    actor_token_id: UUID | None
    actor_name: str
    via: str
    route: str
    action: str
    object_type: str
    object_id: str
    rotation_id: UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Filters:
    object_type: str | None = None
    object_id: str | None = None
    actor_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


async def entries(
    conn: AsyncConnection[Any], filters: Filters, *, limit: int, cursor: str | None = None
) -> Page[Entry]:
    """The log, newest first, filtered; keyset-paginated on the entry's id."""
    check_limit(limit)
    since = None if filters.since is None else times.check("since", filters.since)
    until = None if filters.until is None else times.check("until", filters.until)
    after = decode(cursor, int)
    async with conn.cursor(row_factory=class_row(Entry)) as cur:
        await cur.execute(
            Q["entries"],
            {
                "object_type": filters.object_type,
                "object_id": filters.object_id,
                "actor_id": filters.actor_id,
                "since": since,
                "until": until,
                "after_id": None if after is None else after[0],
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    return page(rows, limit, lambda e: (e.id,))


async def prune(conn: AsyncConnection[Any], age: timedelta, limit: int) -> int:
    """Delete up to `limit` entries older than `age` (the engine's clock); how many went."""
    cur = await conn.execute(Q["delete_old_entries"], {"age": age, "limit": limit})
    return len(await cur.fetchall())
