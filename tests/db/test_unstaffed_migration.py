"""Migration 0020 (the index of rows naming nobody on call) on a database made by the previous
release: every row stays as it was, and the unstaffed read finds the same rotations through
the new index."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import psycopg

from handoff.store import migrate, reports
from handoff.store.db import connect

from .conftest import add_handoff, add_rotation, add_user, every_row

PREVIOUS = "0019"  # the head before this migration
AT = datetime(2026, 1, 5, 8, tzinfo=UTC)
TABLES = ("users", "rotations", "rotation_state", "handoffs")


async def _unstaffed(url: str) -> list[UUID]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await reports.unstaffed(conn)


def test_rows_stay_and_the_unstaffed_read_uses_the_new_index(previous_db: str) -> None:
    with connect(previous_db, autocommit=True) as conn:
        user = add_user(conn)
        ids = {
            name: add_rotation(conn, name, start_at=AT)
            for name in ("staffed", "covered by nobody", "never staffed")
        }
        for name, on_call in (("staffed", user), ("covered by nobody", None)):
            add_handoff(conn, ids[name], AT, user, on_call, None if on_call else ids[name])
            participant = conn.execute(
                "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 0)"
                " RETURNING id",
                (ids[name], user),
            ).fetchone()
            assert participant is not None
            conn.execute(
                "INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start)"
                " VALUES (%s, 0, %s, %s) ON CONFLICT (rotation_id) DO NOTHING",
                (ids[name], participant["id"], AT),
            )
    before = every_row(previous_db, TABLES)
    migrate.upgrade(previous_db)
    assert migrate.current_revision(previous_db) == migrate.head_revision()
    assert every_row(previous_db, TABLES) == before
    with connect(previous_db, autocommit=True) as conn:
        indexed = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'handoffs_nobody_idx'"
        ).fetchone()
    assert indexed is not None and "WHERE" in indexed["indexdef"]
    assert sorted(asyncio.run(_unstaffed(previous_db))) == sorted(
        [ids["covered by nobody"], ids["never staffed"]]
    )
