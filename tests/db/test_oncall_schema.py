"""Overrides, scheduled changes and the timeline's uniqueness, through plain SQL: what the
database keeps whoever writes (migration 0005)."""

from __future__ import annotations

import psycopg
import pytest

from .conftest import Conn, add_rotation, add_user, waiting_jobs

ONE_HOUR = ("2026-01-06 09:00Z", "2026-01-06 10:00Z")


def _override(conn: Conn, rotation_id: object, **fields: object) -> object:
    values = {"start_at": ONE_HOUR[0], "end_at": ONE_HOUR[1], "user_id": None, "note": ""} | fields
    row = conn.execute(
        "INSERT INTO overrides (rotation_id, start_at, end_at, user_id, note)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (rotation_id, values["start_at"], values["end_at"], values["user_id"], values["note"]),
    ).fetchone()
    assert row
    return row["id"]


def _change(
    conn: Conn, rotation_id: object, at: str = "2026-01-07 09:00Z", **fields: object
) -> object:
    columns = ", ".join(["rotation_id", "effective_at", *fields])
    marks = ", ".join(["%s"] * (2 + len(fields)))
    row = conn.execute(
        f"INSERT INTO scheduled_changes ({columns}) VALUES ({marks}) RETURNING id",  # noqa: S608
        (rotation_id, at, *fields.values()),
    ).fetchone()
    assert row
    return row["id"]


def _forget_jobs(conn: Conn) -> None:
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL, dispatched_at = NULL")


@pytest.mark.parametrize(
    "fields",
    [
        {"end_at": ONE_HOUR[0]},  # start < end (times may be any instant: "now" is one)
        {"note": "x" * 501},
    ],
)
def test_override_invariants(conn: Conn, fields: dict[str, object]) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        _override(conn, add_rotation(conn), **fields)


@pytest.mark.parametrize(
    ("at", "fields"),
    [
        ("2026-01-07 09:00Z", {}),  # changes nothing
        ("2026-01-07 09:00:30Z", {"shift_length": 2}),
        ("2026-01-07 09:00Z", {"type": "fortnightly"}),
        ("2026-01-07 09:00Z", {"active_index": -1}),
        ("2026-01-07 09:00Z", {"participants": [None]}),
    ],
)
def test_change_invariants(conn: Conn, at: str, fields: dict[str, object]) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        _change(conn, add_rotation(conn), at, **fields)


def test_one_change_per_rotation_and_instant(conn: Conn) -> None:
    rotation_id = add_rotation(conn)
    _change(conn, rotation_id, shift_length=2)
    _change(conn, add_rotation(conn, "other"), shift_length=2)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _change(conn, rotation_id, type="weekly")


def test_writes_enqueue_the_rotation_but_bookkeeping_does_not(conn: Conn) -> None:
    rotation_id = add_rotation(conn)
    _forget_jobs(conn)
    override_id = _override(conn, rotation_id)
    assert waiting_jobs(conn, rotation_id) == 1
    _forget_jobs(conn)
    conn.execute("UPDATE overrides SET note = 'n' WHERE id = %s", (override_id,))
    assert waiting_jobs(conn, rotation_id) == 0
    conn.execute("UPDATE overrides SET end_at = '2026-01-06 11:00Z' WHERE id = %s", (override_id,))
    assert waiting_jobs(conn, rotation_id) == 1
    _forget_jobs(conn)
    change_id = _change(conn, rotation_id, shift_length=2)
    assert waiting_jobs(conn, rotation_id) == 1
    _forget_jobs(conn)
    conn.execute(
        "UPDATE scheduled_changes SET applied_at = now(), skipped = 'x' WHERE id = %s",
        (change_id,),
    )
    assert waiting_jobs(conn, rotation_id) == 0  # the engine's own write
    conn.execute("UPDATE scheduled_changes SET shift_length = 3 WHERE id = %s", (change_id,))
    assert waiting_jobs(conn, rotation_id) == 1
    _forget_jobs(conn)
    conn.execute("DELETE FROM scheduled_changes WHERE id = %s", (change_id,))
    assert waiting_jobs(conn, rotation_id) == 1


def test_deleting_a_rotation_leaves_no_dangling_reference(conn: Conn) -> None:
    ann, bo = add_user(conn, "ann"), add_user(conn, "bo")
    rotation_id = add_rotation(conn)
    _override(conn, rotation_id, user_id=ann)
    kept = _override(conn, rotation_id, user_id=bo, start_at="2026-01-06 10:00Z",
                     end_at="2026-01-06 11:00Z")  # fmt: skip
    # An override is history once it has ended: a user deleted around the API leaves theirs
    # naming them, as the timeline does (the API deletes the future ones itself).
    conn.execute("DELETE FROM users WHERE id = %s", (ann,))
    rows = conn.execute("SELECT id FROM overrides ORDER BY start_at").fetchall()
    assert len(rows) == 2 and rows[-1]["id"] == kept
    _change(conn, rotation_id, shift_length=2)
    conn.execute("DELETE FROM rotations WHERE id = %s", (rotation_id,))
    assert conn.execute("SELECT count(*) AS n FROM overrides").fetchone() == {"n": 0}
    assert conn.execute("SELECT count(*) AS n FROM scheduled_changes").fetchone() == {"n": 0}


def test_each_timeline_change_is_recorded_once(conn: Conn) -> None:
    rotation_id = add_rotation(conn)
    override_id = _override(conn, rotation_id)
    change_id = _change(conn, rotation_id, shift_length=2)

    def record(cause: str, at: str = ONE_HOUR[0], **ids: object) -> None:
        conn.execute(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " override_id, change_id) VALUES (%s, %s, now(), %s, 'queue', %s, %s)",
            (rotation_id, at, cause, ids.get("override_id"), ids.get("change_id")),
        )

    record("override_started", override_id=override_id)  # nobody: to is null
    record("override_ended", ONE_HOUR[1], override_id=override_id)
    record("scheduled_change", change_id=change_id)
    for cause, ids in (
        ("override_started", {"override_id": override_id}),
        ("scheduled_change", {"change_id": change_id}),
    ):
        with pytest.raises(psycopg.errors.UniqueViolation):
            record(cause, **ids)
    # an override edge and a change each name what caused them
    for cause in ("override_ended", "scheduled_change"):
        with pytest.raises(psycopg.errors.CheckViolation):
            record(cause, "2026-01-06 12:00Z")
    with pytest.raises(psycopg.errors.CheckViolation):
        record("teleported", "2026-01-06 12:00Z")
