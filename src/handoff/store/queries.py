"""Named SQL statements, loaded from `.sql` files beside this module.

Each file in `store/sql/queries/` holds the statements of one concern, each under a header
`-- name: some_name` followed by a one-line description comment; code runs a statement by
name (`Queries("state")["lock_rotation"]`), so every statement exists once.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

QUERIES_DIR = Path(__file__).parent / "sql" / "queries"
_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def load(concern: str) -> dict[str, str]:
    text = (QUERIES_DIR / f"{concern}.sql").read_text()
    parts = _HEADER.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice in {concern}.sql")
        queries[name] = _without_comment_lines(body).strip().rstrip(";")
    return queries


def _without_comment_lines(body: str) -> str:
    """The statement without its whole-line comments: what the database and the driver see
    is shorter, and psycopg caches the conversion of a statement only up to 4,096
    characters (the engine's reads run once per job, its `dispatch_due` on every tick that
    dispatches)."""
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--"))


class Queries:
    """The statements of one concern, by name."""

    def __init__(self, concern: str) -> None:
        self.concern = concern
        self._queries = load(concern)

    def __getitem__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no query {name!r} in {self.concern}.sql") from None
