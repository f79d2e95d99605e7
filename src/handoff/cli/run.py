"""Run a store call from a command: settings, database, one connection, errors as one line.

The store functions are the same ones the API calls; a `StoreError` (unknown name, invalid
field, name taken) becomes `fail()`'s one line and exit code 2, after the store's transaction
has rolled back, so bad input changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from psycopg import AsyncConnection

from handoff.cli import common
from handoff.config import Settings
from handoff.store.errors import StoreError

T = TypeVar("T")
Body = Callable[[AsyncConnection[Any], Settings], Awaitable[T]]


async def _call(url: str, loaded: Settings, body: Body[T]) -> T:
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        return await body(conn, loaded)


def run(body: Body[T]) -> T:
    loaded = common.settings()
    with common.database(loaded) as url:
        try:
            return asyncio.run(_call(url, loaded, body))
        except StoreError as exc:
            common.fail(str(exc))


def parse_time(value: str, option: str) -> datetime:
    """An RFC 3339 time from the command line; an offset (or Z) is required."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        common.fail(f"{option}: {value!r} is not a time like 2026-03-01T09:00:00+01:00")
    if parsed.tzinfo is None:
        common.fail(f"{option}: {value!r} needs a UTC offset, e.g. {value}Z or {value}+01:00")
    return parsed
