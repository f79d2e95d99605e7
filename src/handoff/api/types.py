"""Field types every schema shares: instants in and out, and text PostgreSQL will accept.

Instants arrive with any UTC offset (naive ones and ones outside the supported range are a 422)
and leave as RFC 3339 UTC with a `Z`, whatever zone the database session used.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    PlainSerializer,
    WithJsonSchema,
)

from handoff.grid import load_zone, wall_instant
from handoff.store import text, times
from handoff.store.errors import Invalid

# RFC 3339 date-time with a required offset; pydantic alone would also take numbers as Unix time.
_WALL = r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
_RFC3339 = re.compile(_WALL + r"([Zz]|[+-]\d{2}:\d{2})")
_WALL_OR_RFC3339 = re.compile(_WALL + r"([Zz]|[+-]\d{2}:\d{2})?")


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise ValueError("must be an RFC 3339 time with an offset, e.g. 2026-03-01T09:00:00Z")


def _wall_or_rfc3339(value: object) -> object:
    if isinstance(value, str) and _WALL_OR_RFC3339.fullmatch(value):
        return value
    raise ValueError(
        "must be a wall time in the rotation's time zone (2026-03-02T09:00) or an RFC 3339 time"
        " with an offset (2026-03-02T09:00:00+01:00)"
    )


def _wall_in_range(value: datetime) -> datetime:
    """The range check for the field itself (so its error names it); a wall time is checked as
    if in UTC, the range's ends being centuries from any offset."""
    _in_range(value if value.tzinfo else value.replace(tzinfo=UTC))
    return value


def in_zone(value: datetime, time_zone: str) -> datetime:
    """A `ZonedStart` as an instant: a wall time is read on the zone's clock as the grid reads
    it (a time in a DST gap is the first instant after it, a repeated time its first
    occurrence), as the command line and the web form read it."""
    return value if value.tzinfo else wall_instant(time_zone, value)


def _in_range(value: datetime) -> datetime:
    try:
        return times.check("time", value)
    except Invalid as exc:
        raise ValueError(exc.errors[0].message) from None


def _text(value: str) -> str:
    """Text PostgreSQL can store: no NUL characters, no lone surrogates (JSON allows both)."""
    message = text.unstorable(value)
    if message is not None:
        raise ValueError(message)
    return value


def _single_line(value: str) -> str:
    """A name: no control characters at all (store.text decides, for the CLI alike)."""
    message = text.problem(value)
    if message is not None:
        raise ValueError(message)
    return value


def _multi_line(value: str) -> str:
    """A description: line feeds and tabs allowed, CR LF read as LF, no other control characters."""
    value = text.normalize(value, multiline=True)
    message = text.problem(value, multiline=True)
    if message is not None:
        raise ValueError(message)
    return value


def _zone(value: str) -> str:
    """An IANA zone name, by the grid's own check (so the API, the CLI and the grid agree)."""
    load_zone(value)
    return value


def utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_range)]
"""A time a client sends: RFC 3339 with an offset, between 1900 and 9000."""

ZonedStart = Annotated[
    datetime,
    BeforeValidator(_wall_or_rfc3339),
    AfterValidator(_wall_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{_WALL_OR_RFC3339.pattern}$",
            "description": "A wall time in the rotation's time zone (2026-03-02T09:00), or an"
            " RFC 3339 time with an offset (2026-03-02T09:00:00+01:00).",
        }
    ),
]
"""A rotation's `start` as a client sends it: an instant with an offset, or a wall time in the
rotation's zone without one (`in_zone` turns either into an instant)."""

UtcTime = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time the API returns: RFC 3339 in UTC with a `Z`."""

Text = Annotated[str, AfterValidator(_text)]
"""Any text PostgreSQL can store."""

SingleLine = Annotated[str, AfterValidator(_single_line)]
"""One line of printable text: names."""

MultiLine = Annotated[str, AfterValidator(_multi_line)]
"""Text that may have several lines: descriptions."""

Zone = Annotated[str, AfterValidator(_zone)]
"""An IANA time zone name."""
