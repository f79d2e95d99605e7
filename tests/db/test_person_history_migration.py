"""Migration 0021 (the history rows naming a person, indexed) on a database made by the previous
release: every row stays as it was, and the read of the rotations a person may be on call in
(their page, their report) finds those their history names through the new indexes rather
than by reading the whole history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.store import migrate
from handoff.store.db import connect
from handoff.store.projections import Q

from .conftest import add_handoff, add_rotation, add_user, every_row

PREVIOUS = "0020"  # the head before this migration
AT = datetime(2026, 1, 5, 8, tzinfo=UTC)
TABLES = ("users", "rotations", "handoffs")


def _naming(url: str, user_id: Any, settings: str = "") -> list[Any]:
    with connect(url, autocommit=True) as conn:
        if settings:
            conn.execute(settings)
        query = Q["oncall_page"]
        params = {"rotation_id": None, "user_id": user_id, "after_name": None, "limit": None}
        rows = conn.execute(query, params).fetchall()
        plan = conn.execute("EXPLAIN " + query, params).fetchall()
    text = "\n".join(str(next(iter(row.values()))) for row in plan)
    return [sorted(row["id"] for row in rows), text]


def test_rows_stay_and_a_persons_rotations_are_read_through_the_new_indexes(
    previous_db: str,
) -> None:
    with connect(previous_db, autocommit=True) as conn:
        ann, bob = add_user(conn, "ann"), add_user(conn, "bob")
        ids = {
            name: add_rotation(conn, name, start_at=AT)
            for name in ("handed to ann", "ann covered bob", "only bob")
        }
        for name, to_user, on_call in (
            ("handed to ann", ann, ann),
            ("ann covered bob", bob, ann),
            ("only bob", bob, bob),
        ):
            for day in range(3):
                add_handoff(conn, ids[name], AT + timedelta(days=day), to_user, on_call)
        # Everyone else's history: the read of one person's must not go through it all.
        conn.execute(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " to_user_id, to_user_name, on_call_user_id)"
            " SELECT %s, %s - g * interval '1 hour', %s, 'boundary', 'queue', u, 'x', u"
            " FROM (SELECT g, gen_random_uuid() AS u FROM generate_series(1, 20000) g) crowd",
            (ids["only bob"], AT, AT),
        )
    before = every_row(previous_db, TABLES)
    migrate.upgrade(previous_db)
    assert migrate.current_revision(previous_db) == migrate.head_revision()
    assert every_row(previous_db, TABLES) == before
    found, plan = _naming(previous_db, ann, "ANALYZE handoffs")
    assert found == sorted([ids["handed to ann"], ids["ann covered bob"]])
    assert "handoffs_to_user_idx" in plan and "handoffs_on_call_user_idx" in plan, plan
    assert _naming(previous_db, bob)[0] == sorted([ids["ann covered bob"], ids["only bob"]])
