"""Real processes record schedules' final changes once (schedules.md, "Engine and history"):
two `handoff worker` processes and a batch engine, one worker killed with SIGKILL at the
instant, then a downtime of three hours over three more layer changes. Every schedule change
is recorded once, at or after its instant, in time order. The database's clock is moved
through its seam so that each instant comes within seconds of real time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from handoff.store.clock import ClockSeam

from .conftest import Spawn
from .helpers import Conn, add, rotation, user
from .test_oncall_processes import LEAD, RECOVERY, STARTUP, _db_now, _scalar, _sigkill_at

pytestmark = pytest.mark.e2e

SCHEDULES = 12
HOUR = timedelta(hours=1)


def _stand_before(db_url: str, instant: datetime) -> None:
    ClockSeam(db_url).offset = instant - LEAD - datetime.now(UTC)


def _rows_at(conn: Conn, at: datetime) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM schedule_history WHERE at = %s AND cause = 'layer'", (at,)
    ).fetchone()
    assert row
    n: int = row["n"]
    return n


def _waiting_for(conn: Conn, at: datetime) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM schedule_state WHERE next_run_at = %s", (at,)
    ).fetchone()
    assert row
    n: int = row["n"]
    return n


def _wait(conn: Conn, at: datetime) -> None:
    deadline = time.monotonic() + RECOVERY.total_seconds() + LEAD.total_seconds()
    while _rows_at(conn, at) < SCHEDULES:
        assert time.monotonic() < deadline, f"schedule changes at {at}: {_rows_at(conn, at)}"
        time.sleep(0.1)


def test_schedule_changes_once_with_two_workers_a_batch_engine_a_kill_and_a_downtime(
    db_url: str, conn: Conn, spawn: Spawn
) -> None:
    real = datetime.now(UTC)
    first = (real + timedelta(minutes=2)).replace(second=0, microsecond=0)
    ClockSeam(db_url).offset = first - timedelta(minutes=1) - datetime.now(UTC)
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    layers: list[tuple[UUID, UUID]] = []
    for i in range(SCHEDULES):
        top = rotation(conn, f"top{i}", first - timedelta(hours=7), type="hourly")
        add(conn, top, ann, bob)
        below = rotation(conn, f"below{i}", first - timedelta(hours=7), type="daily")
        add(conn, below, cy)
        layers.append((top, below))
    doomed = spawn("--concurrency", "4")
    workers = [spawn("--concurrency", "4")]
    batch = spawn("--engine", "batch", HANDOFF_BATCH_INTERVAL_SECONDS="1")
    deadline = time.monotonic() + STARTUP.total_seconds()
    while _scalar(conn, "SELECT count(*) AS n FROM rotation_state") < 2 * SCHEDULES:
        assert time.monotonic() < deadline, "the rotations did not start"
        time.sleep(0.1)
    now = _db_now(conn)
    for i, (top, below) in enumerate(layers):
        found = conn.execute(
            "INSERT INTO schedules (name, time_zone, combine) VALUES (%s, 'UTC', %s) RETURNING id",
            (f"s{i}", "priority" if i % 2 else "union"),
        ).fetchone()
        assert found
        conn.execute(
            "INSERT INTO schedule_layers (schedule_id, position, rotation_id)"
            " VALUES (%s, 0, %s), (%s, 1, %s)",
            (found["id"], top, found["id"], below),
        )
        conn.execute(
            "INSERT INTO schedule_state (schedule_id, caught_up_at, next_run_at)"
            " VALUES (%s, %s, %s)",
            (found["id"], now, now),
        )
    # Each schedule is run once now (nothing to record) and then waits for `first`.
    deadline = time.monotonic() + RECOVERY.total_seconds()
    while _waiting_for(conn, first) < SCHEDULES:
        assert time.monotonic() < deadline, "the schedules were not run"
        time.sleep(0.1)
    _stand_before(db_url, first)
    _sigkill_at(conn, first, doomed)
    workers.append(spawn("--concurrency", "4"))  # takes its place, as a supervisor would
    _wait(conn, first)
    # A downtime: every engine stops, three more hourly changes pass, one worker comes back.
    stopped = [batch, *workers]
    for proc in stopped:
        proc.terminate()
    for proc in stopped:
        proc.wait(timeout=20)
    ClockSeam(db_url).offset = first + 3 * HOUR + timedelta(minutes=10) - datetime.now(UTC)
    spawn("--concurrency", "4")
    for at in (first + HOUR, first + 2 * HOUR, first + 3 * HOUR):
        _wait(conn, at)
    rows = conn.execute(
        "SELECT schedule_id, at, processed_at, from_user_ids, to_user_ids FROM schedule_history"
        " ORDER BY schedule_id, id"
    ).fetchall()
    by_schedule: dict[UUID, list[datetime]] = {}
    for row in rows:
        assert row["processed_at"] >= row["at"]
        assert row["from_user_ids"] != row["to_user_ids"]
        by_schedule.setdefault(row["schedule_id"], []).append(row["at"])
    expected = [first + k * HOUR for k in range(4)]
    assert by_schedule == dict.fromkeys(by_schedule, expected)
    assert len(by_schedule) == SCHEDULES
