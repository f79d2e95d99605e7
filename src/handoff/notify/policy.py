"""What an answer means for a message: delivered, retried later (and when), or failed now.

Pure: the delivery job passes in what it observed and the clock, and writes what this says.
A retry's wait is relative (the job records it at the engine's clock, in the same statement as
the attempt), so the time an answer took is never taken off its Retry-After.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal
from uuid import UUID

Outcome = Literal["delivered", "retry", "failed"]

TIMEOUT_SECONDS = 10.0
FAILURE_LIMIT = timedelta(hours=24)  # a channel failing this long is disabled
MESSAGE_LIMIT = timedelta(hours=24)  # a message retried this long after its first attempt fails
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(hours=1)
RETRY_AFTER_MAX = timedelta(hours=6)
RETRIED_CODES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    wait: timedelta | None = None  # a retry: how long after this attempt it is due again
    gave_up: bool = False  # failed for good: retried for MESSAGE_LIMIT


def classify(status: int | None) -> Outcome:
    """None is a timeout or a connection error (retried), as are 408, 429 and 5xx."""
    if status is None or status in RETRIED_CODES or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    return "failed"


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a wait from now, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), RETRY_AFTER_MAX)


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential with full jitter over the upper half: 5 s, 10 s, 20 s, ... up to an hour."""
    ceiling: timedelta = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return ceiling * (0.5 + rng.random() / 2)


def decide(
    status: int | None,
    retry_after_header: str | None,
    *,
    attempts: int,
    now: datetime,
    rng: random.Random,
    first_attempt_at: datetime | None = None,
) -> Decision:
    """`attempts` counts this one; `now` converts a Retry-After given as a date and ages the
    message. A message whose first attempt was MESSAGE_LIMIT ago or more fails for good instead
    of being retried, so that one message no receiver takes cannot hold its line forever; its
    clock is its own, so successes of other messages on the channel do not restart it."""
    outcome = classify(status)
    if outcome != "retry":
        return Decision(outcome)
    if first_attempt_at is not None and now - first_attempt_at >= MESSAGE_LIMIT:
        return Decision("failed", gave_up=True)
    wait = retry_after(retry_after_header, now)
    return Decision("retry", wait if wait is not None else backoff(attempts, rng))


def channel_exhausted(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= FAILURE_LIMIT


def channels_to_disable(
    attempts: Sequence[tuple[UUID, bool, datetime | None]], now: datetime
) -> set[UUID]:
    """Of a batch's attempts as (channel, delivered, the channel's failing_since), the channels
    to disable: those the batch never reached whose failing streak reached the limit (a streak
    that starts with this batch is `now`)."""
    reached = {channel for channel, delivered, _ in attempts if delivered}
    return {
        channel
        for channel, delivered, failing_since in attempts
        if channel not in reached and channel_exhausted(failing_since or now, now)
    }
