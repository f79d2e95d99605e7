"""Engine fixtures: an async pool on the test database, and the engine's clock frozen.

The clock is the database's (`handoff_now()`), frozen through the seam at about the real
current time; tests move it forward to cross boundaries without sleeping, and every reader
(the engine, the triggers, the dispatcher's statements) sees the same instant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.engine.process import Processor
from handoff.store.clock import ClockSeam


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False) as opened:
        yield opened


@pytest.fixture
def clock(db_url: str) -> ClockSeam:
    return ClockSeam(db_url, datetime.now(UTC))


@pytest.fixture
def processor(pool: AsyncConnectionPool[Any], clock: ClockSeam) -> Processor:
    """The engine's processor; asks for the clock so that time is frozen before it runs."""
    return Processor(pool)
