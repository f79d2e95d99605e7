"""The range of instants a client may send, so every grid computation on them stays in range.

The grid works on Python datetimes (years 1..9999) and a projection may reach a year past the
instant it starts from; bounding inputs well inside that range makes an out-of-range time a 422
for its field instead of an overflow deep in a computation.
"""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.store.errors import invalid

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def check(field: str, value: datetime) -> datetime:
    """The instant in UTC; naive or out-of-range times are refused for `field`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(field, "must have a UTC offset (RFC 3339)")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise invalid(field, "is out of range") from None
    if not EARLIEST <= utc <= LATEST:
        raise invalid(field, f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return utc
