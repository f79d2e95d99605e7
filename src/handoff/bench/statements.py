"""How many SQL statements each request runs, counted in the serving process.

`counting(app)` replaces the app's per-request connection (`http.deps.connection`, which the
token check, the session and every route share) with the same pooled connection whose cursors
count what they execute, and records one count per request. Transaction control (BEGIN,
COMMIT) is not a statement here: psycopg sends it outside the cursor. The bench's reads
scenario and the tests that keep every list's statements flat use it; the server as shipped
never counts.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from psycopg import AsyncConnection

from handoff.http import deps


@dataclass
class Counts:
    """The statements of each request served while counting, in the order they finished."""

    requests: list[tuple[str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, target: str, count: int) -> None:
        with self._lock:
            self.requests.append((target, count))

    def take(self) -> list[tuple[str, int]]:
        """The counts recorded so far, forgetting them."""
        with self._lock:
            found, self.requests = self.requests, []
        return found


def _counting_factory(base: type[Any], tally: list[int]) -> type[Any]:
    class Counting(base):  # type: ignore[misc]
        async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            tally[0] += 1
            return await super().execute(query, params, **kwargs)

    return Counting


@contextlib.contextmanager
def counting(app: FastAPI) -> Iterator[Counts]:
    """Count the statements of every request `app` serves inside the block."""
    counts = Counts()

    async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
        tally = [0]
        async with deps.pool(request).connection() as conn:
            base = conn.cursor_factory
            conn.cursor_factory = _counting_factory(base, tally)
            try:
                yield conn
            finally:
                conn.cursor_factory = base
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                counts.add(target, tally[0])

    app.dependency_overrides[deps.connection] = connection
    try:
        yield counts
    finally:
        app.dependency_overrides.pop(deps.connection, None)
