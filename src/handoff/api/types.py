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

from handoff.store import times
from handoff.store.errors import Invalid

# RFC 3339 date-time with a required offset; pydantic alone would also take numbers as Unix time.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})"
)


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise ValueError("must be an RFC 3339 time with an offset, e.g. 2026-03-01T09:00:00Z")


def _in_range(value: datetime) -> datetime:
    try:
        return times.check("time", value)
    except Invalid as exc:
        raise ValueError(exc.errors[0].message) from None


def _no_nul(value: str) -> str:
    """Text PostgreSQL can store: no NUL characters, no lone surrogates (JSON allows both)."""
    if "\0" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_range)]
"""A time a client sends: RFC 3339 with an offset, between 1900 and 9000."""

UtcTime = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time the API returns: RFC 3339 in UTC with a `Z`."""

Text = Annotated[str, AfterValidator(_no_nul)]
