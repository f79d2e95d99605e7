"""Migration 0015 (active hours) on a database made by the previous release: every existing
rotation keeps exactly its behaviour (hours.md: `null` is always active)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff import oncall
from handoff import rotation as rotation_core
from handoff.store import inputs, migrate
from handoff.store.db import connect

PREVIOUS = "0012"  # the schema of the last release (round two)
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_existing_rotations_stay_always_active(previous_db: str) -> None:
    with connect(previous_db, autocommit=True) as conn:
        user = conn.execute("INSERT INTO users (name) VALUES ('ann') RETURNING id").fetchone()
        rotation = conn.execute(
            "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
            " VALUES ('ops', 'hourly', 3, %s, 'Europe/Berlin') RETURNING *",
            (START,),
        ).fetchone()
        assert user and rotation
        before = {k: v for k, v in rotation.items() if k != "updated_at"}
    migrate.upgrade(previous_db)
    assert migrate.current_revision(previous_db) == migrate.head_revision()
    with connect(previous_db, autocommit=True) as conn:
        row = conn.execute("SELECT * FROM rotations").fetchone()
        assert row is not None
        assert row["active_hours"] is None and row["turns"] == "active"
        assert {k: row[k] for k in before} == before
        # a history row of the previous release's causes is still accepted
        conn.execute(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " to_user_id, to_user_name) VALUES (%s, %s, %s, 'boundary', 'queue', %s, 'ann')",
            (row["id"], START, START, user["id"]),
        )
    config = inputs.config(row)
    plain = oncall.Config("hourly", 3, START, "Europe/Berlin")
    assert config == plain
    p = rotation_core.Participant(user["id"], user["id"])
    state = rotation_core.State(0, p.id, START)
    week = START + timedelta(days=7)
    assert oncall.segments(oncall.Inputs(config, state, [p]), START, week) == oncall.segments(
        oncall.Inputs(plain, state, [p]), START, week
    )
