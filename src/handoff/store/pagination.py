"""Keyset pagination with opaque cursors: `{items, next_cursor}` for every list.

A cursor is the sort key of the last item returned, base64url-encoded JSON. It is opaque to
clients but checked on the way in: a cursor that does not decode to the expected key types is a
422 for the `cursor` field, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from handoff.store.errors import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")
KeyPart = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def _plain(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def encode(key: Sequence[object]) -> str:
    raw = json.dumps([_plain(v) for v in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time")
    return parsed


def _text(value: object) -> str:
    if not isinstance(value, str) or "\0" in value:
        raise ValueError("not text")
    return value


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError("not a bigint")
    return value


PARSERS: dict[type, KeyPart] = {str: _text, UUID: UUID, datetime: _aware, int: _integer}


def decode(cursor: str | None, *kinds: type) -> list[Any] | None:
    """The sort key in a cursor, each part parsed as the given type; None without a cursor."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong shape")
        return [PARSERS[kind](value) for kind, value in zip(kinds, values, strict=True)]
    except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError):
        raise invalid("cursor", "is not a cursor this list returned") from None


def page(rows: list[T], limit: int, key: Callable[[T], Sequence[object]]) -> Page[T]:
    """Cut a fetch of `limit + 1` rows into a page and the cursor for the next one."""
    if len(rows) <= limit:
        return Page(rows, None)
    items = rows[:limit]
    return Page(items, encode(key(items[-1])))


async def every(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    """Every item of a list, following its cursors: `fetch` reads the page after a cursor (None:
    the first). For callers that show a whole list (the command line), not for the API."""
    found: list[T] = []
    cursor = None
    while True:
        fetched = await fetch(cursor)
        found.extend(fetched.items)
        if fetched.next_cursor is None:
            return found
        cursor = fetched.next_cursor
