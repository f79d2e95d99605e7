"""Migration 0019 (swaps) on a database made by the previous release: its overrides and its
outbox stay as they were, messages of every earlier kind are still accepted, and swaps can be
written beside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from handoff.store import migrate
from handoff.store.db import connect

PREVIOUS = "0012"  # the schema of the last release (round two)
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_overrides_and_messages_are_kept_and_swaps_fit_beside_them(previous_db: str) -> None:
    with connect(previous_db, autocommit=True) as conn:
        ann = conn.execute("INSERT INTO users (name) VALUES ('ann') RETURNING id").fetchone()
        bob = conn.execute("INSERT INTO users (name) VALUES ('bob') RETURNING id").fetchone()
        rotation = conn.execute(
            "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
            " VALUES ('ops', 'daily', 1, %s, 'UTC') RETURNING id",
            (START,),
        ).fetchone()
        assert ann and bob and rotation
        override = conn.execute(
            "INSERT INTO overrides (rotation_id, start_at, end_at, user_id, replaces_user_id)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING *",
            (rotation["id"], START, START + timedelta(hours=2), bob["id"], ann["id"]),
        ).fetchone()
        channel = conn.execute(
            "INSERT INTO notify_channels (name, kind, target)"
            " VALUES ('s', 'slack', 'https://x.y/z') RETURNING id"
        ).fetchone()
        assert override and channel
        message = conn.execute(
            "INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload)"
            " VALUES (%s, %s, 'shift.reminder', %s, '{}') RETURNING *",
            (channel["id"], rotation["id"], START),
        ).fetchone()
        assert message
    migrate.upgrade(previous_db)
    assert migrate.current_revision(previous_db) == migrate.head_revision()
    with connect(previous_db, autocommit=True) as conn:
        assert conn.execute("SELECT * FROM overrides").fetchall() == [override]
        assert conn.execute("SELECT * FROM notify_messages").fetchall() == [message]
        assert conn.execute("SELECT count(*) AS n FROM swaps").fetchone() == {"n": 0}
        for kind in ("rotation.oncall_changed", "channel.test", "swap.requested", "swap.taken"):
            conn.execute(
                "INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at,"
                " payload) VALUES (%s, %s, %s, %s, '{}')",
                (channel["id"], rotation["id"], kind, START),
            )
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO notify_messages (channel_id, event_type, event_at, payload)"
                " VALUES (%s, 'swap.lost', %s, '{}')",
                (channel["id"], START),
            )
        swap = conn.execute(
            "INSERT INTO swaps (rotation_id, requester_id, start_at, end_at, override_id)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING status",
            (rotation["id"], ann["id"], START, START + timedelta(hours=1), override["id"]),
        ).fetchone()
        assert swap == {"status": "open"}
        conn.execute("DELETE FROM overrides")
        assert conn.execute("SELECT override_id FROM swaps").fetchone() == {"override_id": None}
