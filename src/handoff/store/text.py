"""Checks on text a client sends, shared by every store function that writes text.

PostgreSQL refuses NUL bytes in text and Python strings may hold lone surrogates (from JSON
escapes or undecodable command-line bytes) that cannot be encoded; checking here turns both
into a 422 for the field instead of a database error.

Names (of users, rotations, tokens) are one line of printable text: a control character (C0,
DEL or C1) in a name would end up in a terminal as an escape sequence, in a calendar feed as a
broken line, in a log as a forged entry. Descriptions may have several lines: line feeds and tabs
stay (CR LF, as browsers send a textarea, becomes LF), every other control character is refused.
"""

from __future__ import annotations

import re

from handoff.store.errors import invalid

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def unstorable(value: str) -> str | None:
    """Why PostgreSQL could not store `value` as text (None when it can)."""
    if "\0" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with `value` as a name (or, multiline, as a description): None if nothing."""
    message = unstorable(value)
    if message is not None:
        return message
    found = (_CONTROL_BUT_LINES if multiline else _CONTROL).search(value)
    if found is not None:
        allowed = " other than line feeds and tabs" if multiline else ""
        return f"must not contain control characters{allowed} (found U+{ord(found[0]):04X})"
    return None


def normalize(value: str, *, multiline: bool = False) -> str:
    """CR LF line ends as LF in multi-line text (what a browser's textarea sends)."""
    return value.replace("\r\n", "\n") if multiline else value


def check(
    field: str,
    value: str,
    *,
    min_length: int = 0,
    max_length: int,
    strip: bool = False,
    multiline: bool = False,
) -> str:
    value = normalize(value, multiline=multiline)
    message = problem(value, multiline=multiline)
    if message is not None:
        raise invalid(field, message)
    if strip:
        value = value.strip()
    if not min_length <= len(value) <= max_length:
        if min_length and not value:
            raise invalid(field, "must not be empty")
        raise invalid(field, f"must be {min_length} to {max_length} characters long")
    return value


def like(q: str) -> str:
    """An ILIKE pattern (ESCAPE '\\') for text that contains `q` (names searched)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
