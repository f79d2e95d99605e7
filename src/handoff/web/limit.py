"""The sign-in rate limits: pure, over the failures the store recorded.

A failed guess names no token (there is none to key on), so the limits key on what a failed
sign-in does carry:

- the browser (its pre-session cookie, which every sign-in form post has, as its CSRF secret
  comes from it): `MAX_FAILURES` within `WINDOW`; a person's own mistakes lock only their own
  browser;
- the account, for password sign-ins (the email typed): `MAX_FAILURES`, whatever the address
  or browser, so one person's password is not guessed from many;
- the client address: `ADDRESS_MAX_FAILURES`, a backstop for a guesser who drops the cookie
  for each try; higher, so that the people behind one proxy address (a proxy that sets no
  forwarding header, or one not trusted) are not all locked out by a guesser among them
  after a few guesses.

Past a limit the client is refused (429 with Retry-After) until the oldest counted failure
leaves the window, whatever it sends, so guessing costs time and the right secret found by
chance is not let in early. The failures are kept in the database (store.sessions), so every
process serving the UI counts the same attempts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_FAILURES = 10  # per browser and per account
ADDRESS_MAX_FAILURES = 100  # per client address
WINDOW = timedelta(minutes=10)


def retry_after(
    failures: Sequence[datetime], now: datetime, max_failures: int = MAX_FAILURES
) -> int | None:
    """Whole seconds until this client may try again, or None if it may now.

    `failures` are the client's failed sign-ins, oldest first.
    """
    recent = [at for at in failures if at > now - WINDOW]
    if len(recent) < max_failures:
        return None
    frees_at = recent[-max_failures] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))
