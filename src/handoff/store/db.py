"""Which database to use, and connections to it.

`HANDOFF_DATABASE_URL` names a server to use as is. Without it, the embedded server in the data
directory is started (or reused) for as long as the `database()` context is open.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from handoff.config import Settings
from handoff.embedded_pg import EmbeddedPostgres


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[str]:
    """Yield a usable database URL, starting the embedded server when no URL is set."""
    if settings.database_url:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir, listen_host=settings.embedded_listen_host)
    with server.running() as url:
        yield url


def connect(
    url: str, *, autocommit: bool = False, pooled: bool = False
) -> psycopg.Connection[dict[str, object]]:
    """A synchronous connection whose rows are dicts (CLI, migrations, tests)."""
    return psycopg.connect(
        url, autocommit=autocommit, row_factory=dict_row, **connection_options(pooled)
    )


def connection_options(pooled: bool) -> dict[str, Any]:
    """psycopg's connection arguments for a server reached through a transaction pooler.

    Behind PgBouncer in transaction mode each transaction may run on another server connection,
    so nothing may outlive a transaction: psycopg's automatic prepared statements (made after a
    query's fifth run, named `_pg3_0`, ... per client) would be missing on the next server
    connection or collide with another client's of the same name. `prepare_threshold=None`
    never prepares. Session advisory locks and LISTEN are the other session state; the engine
    and notification delivery use transaction-level and row locks only (no session lock
    anywhere), and listen on a direct URL or not at all.
    """
    return {"prepare_threshold": None} if pooled else {}


def pooled(settings: Settings) -> bool:
    """Whether the processes reach PostgreSQL through a transaction pooler."""
    return settings.database_pooler == "transaction"


SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


@contextlib.asynccontextmanager
async def snapshot(conn: AsyncConnection[Any]) -> AsyncIterator[None]:
    """Several reads that see one moment of the database (an answer made of a rotation, its
    participants and its overrides is never torn by a concurrent edit).

    Begun by psycopg's own `transaction()`, not an audited connection's: SET TRANSACTION must
    be the first statement, and a read-only snapshot has no writes to name a writer for."""
    async with AsyncConnection.transaction(conn):
        await conn.execute(SNAPSHOT)
        yield


@contextlib.asynccontextmanager
async def autocommit(conn: AsyncConnection[Any]) -> AsyncIterator[None]:
    """Run the block with `conn` in autocommit (a lone statement is its own transaction, with
    no BEGIN and COMMIT around it), and hand it back as it came, with no transaction open."""
    await conn.set_autocommit(True)
    try:
        yield
    finally:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            await conn.rollback()
        await conn.set_autocommit(False)


def sqlalchemy_url(url: str) -> str:
    """The same URL in SQLAlchemy's spelling, for Alembic."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
