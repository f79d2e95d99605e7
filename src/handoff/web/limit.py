"""The sign-in rate limit, per client address: pure, over the failures the store recorded.

After `MAX_FAILURES` failed sign-ins within `WINDOW`, a client is refused (429 with
Retry-After) until the oldest of those leaves the window, whatever token it sends, so guessing
costs time and the right token found by chance is not let in early. The failures are kept in
the database (store.sessions), so every process serving the UI counts the same attempts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_FAILURES = 10
WINDOW = timedelta(minutes=10)


def retry_after(failures: Sequence[datetime], now: datetime) -> int | None:
    """Whole seconds until this client may try again, or None if it may now.

    `failures` are the client's failed sign-ins, oldest first.
    """
    recent = [at for at in failures if at > now - WINDOW]
    if len(recent) < MAX_FAILURES:
        return None
    frees_at = recent[-MAX_FAILURES] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))
