"""Engine fixtures: an async pool on the test database, and a manual clock near real time.

The clock starts a few seconds after the real current time: rows the tests create are stamped
with the database's now() (a rotation's grid_changed_at), which must not be later than the
engine's now. Tests move the clock forward to cross boundaries without sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.clock import ManualClock
from handoff.engine.process import Processor

CLOCK_LEAD = timedelta(seconds=5)


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False) as opened:
        yield opened


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC) + CLOCK_LEAD)


@pytest.fixture
def processor(pool: AsyncConnectionPool[Any], clock: ManualClock) -> Processor:
    return Processor(pool, clock)
