"""Checks on text a client sends, shared by every store function that writes text.

PostgreSQL refuses NUL bytes in text and Python strings may hold lone surrogates (from JSON
escapes or undecodable command-line bytes) that cannot be encoded; checking here turns both
into a 422 for the field instead of a database error.
"""

from __future__ import annotations

from handoff.store.errors import invalid


def check(
    field: str, value: str, *, min_length: int = 0, max_length: int, strip: bool = False
) -> str:
    if "\0" in value:
        raise invalid(field, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(field, "must be valid Unicode text") from None
    if strip:
        value = value.strip()
    if not min_length <= len(value) <= max_length:
        if min_length and not value:
            raise invalid(field, "must not be empty")
        raise invalid(field, f"must be {min_length} to {max_length} characters long")
    return value
