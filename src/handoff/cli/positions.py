"""Positions in a participant list as people count them on the command line: 1 is the first.

The API keeps its 0-based `active_index` (api.md); the command line shows and takes 1-based
positions, as the web UI does, and converts here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from handoff.store.errors import FieldError, Invalid, invalid


def index_of(position: int, count: int | None, field: str = "position") -> int:
    """The 0-based index of a 1-based position among `count` participants (None: not known
    here, the store checks the upper end)."""
    if count == 0:
        raise invalid(field, "the rotation has no participants")
    if position < 1 or (count is not None and position > count):
        bounds = "1 or more" if count is None else f"from 1 to {count}"
        raise invalid(field, f"must be {bounds}, got {position}")
    return position - 1


@contextmanager
def counted_from_one(field: str) -> Iterator[None]:
    """The store's refusal of a 0-based index (`field`), said about the 1-based --position."""
    try:
        yield
    except Invalid as exc:
        raise Invalid(
            *(
                FieldError("position", "no participant at that position in the list then")
                if e.field == field
                else e
                for e in exc.errors
            )
        ) from None
