"""What the engine's background loops share."""

from __future__ import annotations

import asyncio
import contextlib
import random

JITTER = 0.1  # a loop's pause varies by up to this fraction, so processes drift apart


def jittered(seconds: float) -> float:
    """`seconds`, plus up to JITTER of it at random."""
    return seconds * (1 + random.random() * JITTER)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for `seconds`, or less if `stop` is set meanwhile."""
    if seconds <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
