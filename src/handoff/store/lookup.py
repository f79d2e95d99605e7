"""Finding a person, a rotation or a channel by the name someone typed (the CLI's way of
naming things).

Names match ignoring case; an exact match wins over others that differ only in case. A name
that matches nothing is refused with the closest names (difflib) as suggestions, so a typo
or a capital letter never ends in a bare "not found".
"""

from __future__ import annotations

import difflib
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from handoff.store.errors import NotFound, invalid
from handoff.store.queries import Queries

Q = Queries("lookup")
Kind = Literal["user", "rotation", "channel"]
MAX_SUGGESTIONS = 3
SIMILARITY = 0.6  # difflib's ratio below which a name is not suggested


def suggest(name: str, names: list[str]) -> list[str]:
    """The names closest to `name` ignoring case, closest first (at most three)."""
    by_folded: dict[str, str] = {}
    for candidate in sorted(names):
        by_folded.setdefault(candidate.casefold(), candidate)
    close = difflib.get_close_matches(
        name.casefold(), list(by_folded), n=MAX_SUGGESTIONS, cutoff=SIMILARITY
    )
    return [by_folded[c] for c in close]


def not_found(kind: Kind, name: str, suggestions: list[str]) -> NotFound:
    """`no user 'Zed' (did you mean 'Zoe' or 'Ned'?)`."""
    if not suggestions:
        return NotFound(kind, repr(name))
    quoted = [repr(s) for s in suggestions]
    either = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return NotFound(kind, f"{name!r} (did you mean {either}?)")


def pick(kind: Kind, name: str, matches: list[tuple[UUID, str]]) -> UUID | None:
    """The one match meant by `name`: the only one, or the only one with the same case."""
    if len(matches) == 1:
        return matches[0][0]
    exact = [ident for ident, found in matches if found == name]
    if len(exact) == 1:
        return exact[0]
    if matches:
        raise invalid(kind, f"more than one {kind} is named {name!r}: use the id")
    return None


async def named(conn: AsyncConnection[Any], kind: Kind, name: str) -> list[tuple[UUID, str]]:
    """The ids and names of the users or rotations with this name, ignoring case."""
    async with conn.cursor() as cur:
        await cur.execute(Q[f"{kind}_named"], {"name": name})
        return [(row[0], row[1]) for row in await cur.fetchall()]


async def by_name(conn: AsyncConnection[Any], kind: Kind, name: str) -> UUID:
    """The id of the user or rotation with this name; NotFound suggests the closest names."""
    found = pick(kind, name, await named(conn, kind, name))
    if found is not None:
        return found
    async with conn.cursor() as cur:
        await cur.execute(Q[f"{kind}_all_names"])
        raise not_found(kind, name, suggest(name, [row[0] for row in await cur.fetchall()]))
