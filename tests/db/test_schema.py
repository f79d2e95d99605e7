"""The schema's invariants and the transactional enqueue, through plain SQL."""

from __future__ import annotations

import psycopg
import pytest

from handoff.store import migrate
from handoff.store.db import connect

from .conftest import Conn, add_rotation, add_user, waiting_jobs


def _join(conn: Conn, rotation: object, user: object, position: int = 0) -> None:
    """The user joins the rotation at `position`, in the connection's transaction."""
    conn.execute(
        "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, %s)",
        (rotation, user, position),
    )


def test_migrations_are_current_and_idempotent(db_url: str) -> None:
    assert migrate.is_current(db_url)
    migrate.upgrade(db_url)
    assert migrate.current_revision(db_url) == migrate.head_revision()


@pytest.mark.parametrize("length", [0, 9001, -1])
def test_shift_length_range_is_enforced(conn: Conn, length: int) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        add_rotation(conn, shift_length=length)


def test_start_must_be_whole_minutes(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        add_rotation(conn, start_at="2026-01-05 09:00:30Z")


def test_rotation_names_are_unique(conn: Conn) -> None:
    add_rotation(conn, "ops")
    with pytest.raises(psycopg.errors.UniqueViolation):
        add_rotation(conn, "ops")


def test_positions_are_unique_per_rotation(conn: Conn) -> None:
    rotation, user = add_rotation(conn), add_user(conn)
    _join(conn, rotation, user)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _join(conn, rotation, user)


def test_one_state_row_per_rotation(conn: Conn) -> None:
    rotation = add_rotation(conn)
    sql = (
        "INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start)"
        " VALUES (%s, 0, gen_random_uuid(), now())"
    )
    conn.execute(sql, (rotation,))
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(sql, (rotation,))


def test_one_history_row_per_boundary(conn: Conn) -> None:
    rotation = add_rotation(conn)
    sql = (
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " to_participant_id, to_user_id, to_user_name)"
        " VALUES (%s, '2026-01-06 08:00Z', now(), %s, 'queue', gen_random_uuid(),"
        " gen_random_uuid(), 'ann')"
    )
    conn.execute(sql, (rotation, "boundary"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(sql, (rotation, "boundary"))
    # A manual handoff at the same instant is a different event, not a second boundary.
    conn.execute(sql, (rotation, "manual"))


def test_adding_a_participant_enqueues_in_the_same_transaction(db_url: str) -> None:
    with connect(db_url) as conn:
        rotation, user = add_rotation(conn), add_user(conn)
        conn.commit()
        _join(conn, rotation, user)
        assert waiting_jobs(conn, rotation) == 1
        conn.rollback()
        assert waiting_jobs(conn, rotation) == 0
        schedule = conn.execute(
            "SELECT count(*) AS n FROM rotation_schedule WHERE rotation_id = %s", (rotation,)
        ).fetchone()
        assert schedule and schedule["n"] == 0


def test_dedup_holds_on_a_reused_connection_across_transactions(db_url: str) -> None:
    """GoAlert dedups per transaction and misfires on pooled connections; this must not."""
    with connect(db_url) as conn:
        rotation, user = add_rotation(conn), add_user(conn)
        conn.commit()
        for position in range(5):
            _join(conn, rotation, user, position)
            conn.execute(
                "UPDATE rotations SET shift_length = shift_length + 1 WHERE id = %s",
                (rotation,),
            )
            conn.commit()
        assert waiting_jobs(conn, rotation) == 1
        row = conn.execute(
            "SELECT s.job_id, j.id AS waiting FROM rotation_schedule s"
            " JOIN procrastinate_jobs j ON j.queueing_lock = 'rotation:' || s.rotation_id"
            " WHERE s.rotation_id = %s",
            (rotation,),
        ).fetchone()
        assert row and row["job_id"] == row["waiting"]


def test_a_job_already_running_gets_a_new_waiting_job(conn: Conn) -> None:
    rotation, user = add_rotation(conn), add_user(conn)
    _join(conn, rotation, user)
    conn.execute("UPDATE procrastinate_jobs SET status = 'doing'")
    conn.execute("UPDATE rotations SET time_zone = 'Asia/Tokyo' WHERE id = %s", (rotation,))
    assert waiting_jobs(conn, rotation) == 1


def test_renaming_does_not_enqueue_but_a_grid_edit_does(conn: Conn) -> None:
    rotation = add_rotation(conn)
    conn.execute("UPDATE rotations SET name = 'renamed' WHERE id = %s", (rotation,))
    assert waiting_jobs(conn, rotation) == 0
    before = conn.execute(
        "SELECT grid_changed_at FROM rotations WHERE id = %s", (rotation,)
    ).fetchone()
    conn.execute("UPDATE rotations SET type = 'weekly' WHERE id = %s", (rotation,))
    assert waiting_jobs(conn, rotation) == 1
    after = conn.execute(
        "SELECT grid_changed_at FROM rotations WHERE id = %s", (rotation,)
    ).fetchone()
    assert before and after and after["grid_changed_at"] != before["grid_changed_at"]


def test_state_writes_do_not_enqueue(conn: Conn) -> None:
    rotation = add_rotation(conn)
    conn.execute(
        "INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start)"
        " VALUES (%s, 0, gen_random_uuid(), now())",
        (rotation,),
    )
    conn.execute("UPDATE rotation_state SET position = 0 WHERE rotation_id = %s", (rotation,))
    assert waiting_jobs(conn, rotation) == 0


def test_deleting_a_user_enqueues_their_rotations(conn: Conn) -> None:
    rotation, user = add_rotation(conn), add_user(conn)
    _join(conn, rotation, user)
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("DELETE FROM users WHERE id = %s", (user,))
    assert waiting_jobs(conn, rotation) == 1


def test_deleting_a_rotation_removes_its_waiting_job(conn: Conn) -> None:
    rotation, user = add_rotation(conn), add_user(conn)
    _join(conn, rotation, user)
    conn.execute("DELETE FROM rotations WHERE id = %s", (rotation,))
    assert waiting_jobs(conn, rotation) == 0
    left = conn.execute("SELECT count(*) AS n FROM procrastinate_jobs").fetchone()
    assert left and left["n"] == 0


def _batch_job(conn: Conn, rotation_ids: list[object], *, attempts: int = 0) -> int:
    """A waiting job owning several rotations, as the dispatcher makes them."""
    row = conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, attempts, scheduled_at)"
        " VALUES ('rotations', 'update_rotations', jsonb_build_object('rotation_ids', %s::text[]),"
        " %s, now() + interval '1 minute') RETURNING id",
        ([str(r) for r in rotation_ids], attempts),
    ).fetchone()
    assert row
    job_id = int(str(row["id"]))
    conn.execute(
        "INSERT INTO rotation_schedule (rotation_id, next_run_at, job_id)"
        " SELECT unnest(%s::uuid[]), now(), %s"
        " ON CONFLICT (rotation_id) DO UPDATE SET job_id = excluded.job_id",
        (rotation_ids, job_id),
    )
    return job_id


def test_a_rotation_in_a_waiting_batch_job_gets_no_second_job(conn: Conn) -> None:
    first, second, user = add_rotation(conn, "a"), add_rotation(conn, "b"), add_user(conn)
    job_id = _batch_job(conn, [first, second])
    _join(conn, first, user)
    assert waiting_jobs(conn, first) == 0
    jobs = conn.execute("SELECT count(*) AS n FROM procrastinate_jobs").fetchone()
    assert jobs and jobs["n"] == 1
    owner = conn.execute(
        "SELECT job_id FROM rotation_schedule WHERE rotation_id = %s", (first,)
    ).fetchone()
    assert owner and owner["job_id"] == job_id


def test_a_change_brings_a_waiting_retry_forward(conn: Conn) -> None:
    rotation, user = add_rotation(conn), add_user(conn)
    retrying = _batch_job(conn, [rotation], attempts=3)
    fresh = _batch_job(conn, [add_rotation(conn, "other")])
    _join(conn, rotation, user)
    rows = conn.execute(
        "SELECT id, scheduled_at FROM procrastinate_jobs WHERE id = ANY(%s)", ([retrying, fresh],)
    ).fetchall()
    scheduled = {row["id"]: row["scheduled_at"] for row in rows}
    assert scheduled[retrying] is None  # the change is applied now, not after the backoff
    assert scheduled[fresh] is not None  # an untouched rotation's job keeps its instant


def test_a_plain_sql_change_waits_for_a_job_holding_the_rotation(db_url: str) -> None:
    """The enqueue locks the rotation like every state writer, so no job can read it halfway."""
    with connect(db_url) as job, connect(db_url) as writer:
        rotation, user = add_rotation(job), add_user(job)
        job.commit()
        job.execute("SELECT 1 FROM rotations WHERE id = %s FOR NO KEY UPDATE", (rotation,))
        writer.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            _join(writer, rotation, user)
        writer.rollback()
        job.commit()
        _join(writer, rotation, user)
        writer.commit()
        assert waiting_jobs(writer, rotation) == 1


def test_the_head_read_from_the_files_is_alembic_s(db_url: str) -> None:
    """`upgrade` skips Alembic when the applied revision is this head, so they must agree."""
    from alembic.script import ScriptDirectory

    from handoff.store.migrate import _config

    assert ScriptDirectory.from_config(_config(db_url)).get_current_head() == (
        migrate.head_revision()
    )
    assert migrate.applied_revision(db_url) == migrate.head_revision()
