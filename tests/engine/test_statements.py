"""The engine's per-rotation statements stay cheap for the driver to send."""

from __future__ import annotations

import re

import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

from handoff.store.queries import Queries

# Run once per rotation or per job: psycopg converts a statement's
# placeholders once and caches it only within these limits; beyond them, every execution
# parses the statement text again in Python.
HOT = [
    ("state", "save"),
    ("state", "save_each"),
    ("state", "read_unlocked"),
    ("state", "read_locked"),
    ("engine", "dispatch_due"),
]


@pytest.mark.parametrize(("concern", "name"), HOT)
def test_hot_statements_fit_the_drivers_conversion_cache(concern: str, name: str) -> None:
    statement = Queries(concern)[name]
    assert len(statement) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(set(re.findall(r"%\((\w+)\)s", statement))) <= MAX_CACHED_STATEMENT_PARAMS


def test_statements_keep_no_comment_lines_but_their_text() -> None:
    dispatch = Queries("engine")["dispatch_due"]
    assert not any(line.lstrip().startswith("--") for line in dispatch.splitlines())
    assert "INSERT INTO procrastinate_jobs" in dispatch
