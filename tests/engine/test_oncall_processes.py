"""Real processes record the on-call timeline once (oncall.md): two `handoff worker` processes
and a batch engine, one worker killed with SIGKILL at the very instant, record every override
edge and scheduled change at its instant, exactly once. The database's clock is moved through
its seam so that each instant comes within seconds of real time."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from psycopg.types.json import Jsonb

from handoff.store.clock import ClockSeam

from .conftest import Spawn
from .helpers import Conn, add, rotation, user, wait_for_passes

pytestmark = pytest.mark.e2e

ROTATIONS = 30
LEAD = timedelta(seconds=5)  # the database's clock stands this long before each instant
RECOVERY = timedelta(seconds=30)  # a killed worker's jobs are done again within this (engine.md)
STARTUP = timedelta(seconds=50)  # for the workers to start every rotation, before the instant


def _db_now(conn: Conn) -> datetime:
    row = conn.execute("SELECT handoff_now() AS now").fetchone()
    assert row
    now: datetime = row["now"]
    return now


def _stand_before(db_url: str, instant: datetime) -> None:
    """Move the database's clock so that `instant` comes LEAD from now, in real time."""
    ClockSeam(db_url).offset = instant - LEAD - datetime.now(UTC)


def _scalar(conn: Conn, query: str) -> int:
    row = conn.execute(query).fetchone()
    assert row
    n: int = row["n"]
    return n


def _count(conn: Conn, cause: str, at: datetime) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM handoffs WHERE cause = %s AND boundary_at = %s", (cause, at)
    ).fetchone()
    assert row
    n: int = row["n"]
    return n


def _wait(conn: Conn, cause: str, at: datetime, expected: int) -> None:
    deadline = time.monotonic() + RECOVERY.total_seconds() + LEAD.total_seconds()
    while _count(conn, cause, at) < expected:
        assert time.monotonic() < deadline, f"{cause} at {at}: {_count(conn, cause, at)}"
        time.sleep(0.1)


def _sigkill_at(conn: Conn, instant: datetime, proc: object) -> None:
    while _db_now(conn) < instant:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]


def test_edges_and_changes_once_with_two_workers_a_batch_engine_and_a_kill(
    db_url: str, conn: Conn, spawn: Spawn
) -> None:
    real = datetime.now(UTC)
    first = (real + timedelta(minutes=2)).replace(second=0, microsecond=0)
    later = first + timedelta(minutes=5)
    # A minute ahead of the instant while the workers start and the rotations with them (a
    # rotation that starts after an override began has no edge to record: it starts covered).
    ClockSeam(db_url).offset = first - timedelta(minutes=1) - datetime.now(UTC)
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    covered: list[UUID] = []
    changed: list[UUID] = []
    for i in range(ROTATIONS):
        rid = rotation(conn, f"r{i}", first - timedelta(hours=7))
        add(conn, rid, ann, bob)
        if i % 2:
            conn.execute(
                "INSERT INTO overrides (rotation_id, start_at, end_at, user_id)"
                " VALUES (%s, %s, %s, %s)",
                (rid, first, later, cy),
            )
            covered.append(rid)
        else:
            conn.execute(
                "INSERT INTO scheduled_changes (rotation_id, effective_at, participants)"
                " VALUES (%s, %s, %s)",
                (rid, first, [bob, cy]),
            )
            changed.append(rid)
    doomed = spawn("--concurrency", "4")
    spawn("--concurrency", "4")
    spawn("--engine", "batch", HANDOFF_BATCH_INTERVAL_SECONDS="1")
    deadline = time.monotonic() + STARTUP.total_seconds()
    while _scalar(conn, "SELECT count(*) AS n FROM rotation_state") < ROTATIONS:
        assert time.monotonic() < deadline, "the rotations did not start"
        time.sleep(0.1)
    _stand_before(db_url, first)
    _sigkill_at(conn, first, doomed)
    spawn("--concurrency", "4")  # takes its place, as a supervisor would
    _wait(conn, "override_started", first, len(covered))
    _wait(conn, "scheduled_change", first, len(changed))
    _stand_before(db_url, later)
    _wait(conn, "override_ended", later, len(covered))
    wait_for_passes(conn, ("batch", "sweep"))  # every engine again over the same rotations
    assert _count(conn, "override_started", first) == len(covered)
    assert _count(conn, "scheduled_change", first) == len(changed)
    assert _count(conn, "override_ended", later) == len(covered)
    early = conn.execute(
        "SELECT count(*) AS n FROM handoffs WHERE processed_at < boundary_at"
    ).fetchone()
    assert early == {"n": 0}
    applied = conn.execute(
        "SELECT count(*) AS n FROM scheduled_changes WHERE applied_at = %s", (first,)
    ).fetchone()
    assert applied == {"n": len(changed)}


def test_active_edges_once_with_two_workers_a_batch_engine_and_a_kill(
    db_url: str, conn: Conn, spawn: Spawn
) -> None:
    """hours.md: the edges of the active period are recorded as boundaries are, at their
    instants and once, by two workers and a batch engine, one worker killed at the edge."""
    real = datetime.now(UTC)
    first = (real + timedelta(minutes=2)).replace(second=0, microsecond=0)
    later = first + timedelta(minutes=5)
    ClockSeam(db_url).offset = first - timedelta(minutes=1) - datetime.now(UTC)
    # Every day from `later` to `first` the next day: the period ends at `first` and starts
    # again at `later`.
    hours = [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "from": f"{later:%H:%M}",
            "to": f"{first:%H:%M}",
        }
    ]
    ann, bob = user(conn, "ann"), user(conn, "bob")
    for i in range(ROTATIONS):
        rid = rotation(conn, f"r{i}", first - timedelta(hours=7))
        conn.execute("UPDATE rotations SET active_hours = %s WHERE id = %s", (Jsonb(hours), rid))
        add(conn, rid, ann, bob)
    doomed = spawn("--concurrency", "4")
    spawn("--concurrency", "4")
    spawn("--engine", "batch", HANDOFF_BATCH_INTERVAL_SECONDS="1")
    deadline = time.monotonic() + STARTUP.total_seconds()
    while _scalar(conn, "SELECT count(*) AS n FROM rotation_state") < ROTATIONS:
        assert time.monotonic() < deadline, "the rotations did not start"
        time.sleep(0.1)
    _stand_before(db_url, first)
    _sigkill_at(conn, first, doomed)
    spawn("--concurrency", "4")
    _wait(conn, "active_end", first, ROTATIONS)
    _stand_before(db_url, later)
    _wait(conn, "active_start", later, ROTATIONS)
    wait_for_passes(conn, ("batch", "sweep"))  # every engine again over the same rotations
    assert _count(conn, "active_end", first) == ROTATIONS
    assert _count(conn, "active_start", later) == ROTATIONS
    early = conn.execute(
        "SELECT count(*) AS n FROM handoffs WHERE processed_at < boundary_at"
    ).fetchone()
    assert early == {"n": 0}
