"""Each test starts from fresh, empty tables with identities restarted (tests/conftest.py
db_url), though only the tables a test wrote to are truncated."""

from __future__ import annotations

from conftest import TABLES, empty_tables
from handoff.store.db import connect

from .conftest import add_rotation, add_user


def _nonempty(url: str) -> list[str]:
    """The tables with a row, or with pages of rows since deleted (not made anew)."""
    with connect(url, autocommit=True) as conn:
        return [
            t
            for t in TABLES.replace(" ", "").split(",")
            if conn.execute(f"SELECT FROM {t} LIMIT 1").fetchone() is not None
            or conn.execute("SELECT pg_relation_size(%s) > 0 AS used", (t,)).fetchone()
            == {"used": True}
        ]


def _next_job_id(url: str) -> int:
    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
            " VALUES ('q', 't', '{}') RETURNING id"
        ).fetchone()
    assert row is not None
    return int(str(row["id"]))


def test_rows_and_advanced_identities_left_by_a_test_are_cleared(db_url: str) -> None:
    with connect(db_url, autocommit=True) as conn:
        user = add_user(conn)
        rotation = add_rotation(conn)
        conn.execute(
            "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 0)",
            (rotation, user),
        )
    first = _next_job_id(db_url)
    second = _next_job_id(db_url)
    assert second == first + 1
    with connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM procrastinate_events")
        conn.execute("DELETE FROM procrastinate_jobs")  # empty, its identity still advanced
        # Empty, its pages still there: a planner would see it otherwise than a fresh one.
        conn.execute("INSERT INTO web_sign_in_failures VALUES ('1.2.3.4', now())")
        conn.execute("DELETE FROM web_sign_in_failures")
    empty_tables(db_url)
    assert _nonempty(db_url) == []
    assert _next_job_id(db_url) == 1
    empty_tables(db_url)
    assert _nonempty(db_url) == []
