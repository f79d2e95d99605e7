"""Migration 0018 (the audit log) on a database made by the previous release: every row stays
as it was, the history's rows made by nobody say so, and the log starts empty."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.store import migrate
from handoff.store.db import connect

from .conftest import every_row

PREVIOUS = "0017"  # the schema before the audit log
START = datetime(2026, 1, 5, 8, tzinfo=UTC)
TABLES = ("users", "rotations", "participants", "overrides", "handoffs", "api_tokens")


def test_existing_rows_stay_and_the_log_starts_empty(previous_db: str) -> None:
    with connect(previous_db, autocommit=True) as conn:
        user = conn.execute("INSERT INTO users (name) VALUES ('ann') RETURNING id").fetchone()
        rotation = conn.execute(
            "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
            " VALUES ('ops', 'hourly', 3, %s, 'UTC') RETURNING id",
            (START,),
        ).fetchone()
        assert user and rotation
        conn.execute(
            "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 0)",
            (rotation["id"], user["id"]),
        )
        conn.execute(
            "INSERT INTO overrides (rotation_id, start_at, end_at, user_id)"
            " VALUES (%s, %s, %s, %s)",
            (rotation["id"], START, START.replace(hour=9), user["id"]),
        )
        conn.execute(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " to_user_id, to_user_name) VALUES (%s, %s, %s, 'manual', 'queue', %s, 'ann')",
            (rotation["id"], START, START, user["id"]),
        )
    before = every_row(previous_db, TABLES)
    migrate.upgrade(previous_db)
    assert migrate.current_revision(previous_db) == migrate.head_revision()
    after = every_row(previous_db, TABLES)
    assert [r["made_by"] for r in after["handoffs"]] == [None]
    after["handoffs"] = [{k: v for k, v in r.items() if k != "made_by"} for r in after["handoffs"]]
    assert after == before
    with connect(previous_db, autocommit=True) as conn:
        # a write that names no writer (as the engine's) is not audited
        conn.execute("UPDATE rotations SET description = 'changed'")
        assert conn.execute("SELECT count(*) AS n FROM audit_log").fetchone() == {"n": 0}
        # one that names its writer is, in its own transaction
        with conn.transaction():
            conn.execute(
                "SELECT set_config('handoff.audit', %s, true)",
                ('{"via": "cli", "route": "handoff test", "name": "ops"}',),
            )
            conn.execute("UPDATE rotations SET description = 'again'")
        [entry] = conn.execute("SELECT * FROM audit_log").fetchall()
        assert (entry["action"], entry["actor_name"]) == ("rotation.update", "ops")
        assert entry["before"]["description"] == "changed"
        assert entry["after"]["description"] == "again"
        assert entry["rotation_id"] == rotation["id"]
