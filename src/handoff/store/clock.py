"""The engine's one clock: the database's `handoff_now()`, and the seam that moves it.

Every decision of the engine, the API and the CLI about time reads the database server's
clock (engine.md, "One clock"), in the same round trip as the lock it decides under where
there is one, so app hosts whose clocks are off change nothing. The seam (`ClockSeam`, the
`handoff_clock` row) moves that clock for every reader at once, the database's own
statements included: the tests construct boundaries with it instead of sleeping. Production
never writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import AsyncConnection

from handoff.store.queries import Queries

Q = Queries("clock")


async def read(conn: AsyncConnection[Any]) -> datetime:
    """The engine's clock now."""
    cur = await conn.execute(Q["now"])
    row = await cur.fetchone()
    assert row is not None
    now: datetime = row[0] if isinstance(row, tuple) else row["now"]
    return now


class ClockSeam:
    """The seam as a clock object, for tests: the database's time frozen or moved.

    `set()` and `advance()` freeze the engine's clock at an instant; `offset` lets real time
    run, moved by that much. Either way the change is written to the database's
    `handoff_clock` row, so the test's code, the engine, the API and the database's own
    statements all see the same time; `now()` answers it without a round trip.
    """

    def __init__(self, url: str, start: datetime | None = None) -> None:
        self.url = url
        self._frozen: datetime | None = None
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._write("freeze", {"at": when})
        self._frozen = when

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    @property
    def offset(self) -> timedelta:
        return self._offset

    @offset.setter
    def offset(self, offset: timedelta) -> None:
        self._write("shift", {"offset": offset})
        self._frozen, self._offset = None, offset

    def _write(self, name: str, params: dict[str, object]) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(Q[name], params)
