"""Migration 0017 (schedules) on a database made by the previous release: every rotation, its
state and its history stay as they were, and the new tables start empty."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.store import migrate
from handoff.store.db import connect

from .conftest import every_row

PREVIOUS, THIS = "0016", "0017"  # the schema before schedules, and with them
START = datetime(2026, 1, 5, 8, tzinfo=UTC)
KEPT = ("rotations", "rotation_state", "participants", "handoffs", "users")


def test_rotations_and_their_history_are_kept(previous_db: str) -> None:
    with connect(previous_db, autocommit=True) as conn:
        user = conn.execute("INSERT INTO users (name) VALUES ('ann') RETURNING id").fetchone()
        rotation = conn.execute(
            "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
            " VALUES ('ops', 'daily', 1, %s, 'Europe/Berlin') RETURNING id",
            (START,),
        ).fetchone()
        assert user and rotation
        conn.execute(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " to_user_id, to_user_name) VALUES (%s, %s, %s, 'boundary', 'queue', %s, 'ann')",
            (rotation["id"], START, START, user["id"]),
        )
    before = every_row(previous_db, KEPT)
    migrate.upgrade(previous_db, THIS)
    assert migrate.current_revision(previous_db) == THIS
    assert every_row(previous_db, KEPT) == before
    with connect(previous_db, autocommit=True) as conn:
        for table in ("schedules", "schedule_layers", "schedule_overrides", "schedule_history"):
            found = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()  # noqa: S608
            assert found == {"n": 0}
        # a rotation can now be a layer, and deleting it removes the layer
        schedule = conn.execute(
            "INSERT INTO schedules (name, time_zone, combine) VALUES ('s', 'UTC', 'priority')"
            " RETURNING id"
        ).fetchone()
        assert schedule
        conn.execute(
            "INSERT INTO schedule_layers (schedule_id, position, rotation_id) VALUES (%s, 0, %s)",
            (schedule["id"], rotation["id"]),
        )
        conn.execute("DELETE FROM rotations WHERE id = %s", (rotation["id"],))
        assert conn.execute("SELECT count(*) AS n FROM schedule_layers").fetchone() == {"n": 0}
