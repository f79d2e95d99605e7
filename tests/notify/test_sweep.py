"""The worker's notification sweep: a line whose head came due gets one job, a line a live job
holds gets none, the pending gauge follows the outbox, and finished messages go after their
retention, a bounded batch at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import procrastinate
import pytest
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from handoff.engine.sweep import RETENTION_BATCH, RETENTION_ROUNDS
from handoff.notify.sweep import NotifyRetention, NotifySweep
from handoff.store.clock import ClockSeam
from handoff.store.db import connect
from handoff.worker import build_app

from .helpers import Conn, holding_line, record, rotation, slack_channel, subscribe, user


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
async def app(pool: AsyncConnectionPool[Any]) -> AsyncIterator[procrastinate.App]:
    built = build_app(procrastinate.PsycopgConnector())
    async with built.open_async(pool):
        yield built


def _todo(conn: Conn) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT args FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = 'notifications'"
    ).fetchall()


async def test_a_due_line_gets_one_job_and_a_held_line_none(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "r", clock.now().replace(second=0))
    channel = slack_channel(conn)
    subscribe(conn, rot, channel)
    record(conn, rot, [(clock.now(), (ann, "Ann"), (bob, "Bob"))])
    # The message waits for a retry.
    conn.execute(
        "UPDATE notify_messages SET next_attempt_at = %s", (clock.now() + timedelta(minutes=1),)
    )
    sweep = NotifySweep(pool, app)
    assert await sweep.sweep() == 0
    assert REGISTRY.get_sample_value("handoff_deliveries_pending") == 1
    clock.advance(timedelta(minutes=1))
    with holding_line(conn.info.dsn, channel, rot):
        assert await sweep.sweep() == 0, "a line a live job holds was enqueued again"
    assert await sweep.sweep() == 1
    assert await sweep.sweep() == 0  # it has its waiting job
    assert _todo(conn) == [{"args": {"channel_id": str(channel), "rotation_id": str(rot)}}]


async def test_the_sweep_wants_one_job_per_channel(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    channels = [
        conn.execute(
            "INSERT INTO notify_channels (name, kind, target) VALUES (%s, 'slack',"
            " 'https://x.y/z') RETURNING id",
            (name,),
        ).fetchone()["id"]
        for name in ("a", "b")
    ]
    rotations = [rotation(conn, f"r{i}", clock.now().replace(second=0)) for i in range(3)]
    for rot in rotations:
        for channel in channels:
            subscribe(conn, rot, channel)
        record(conn, rot, [(clock.now(), (ann, "Ann"), (bob, "Bob"))])
    assert await NotifySweep(pool, app).sweep() == 2
    jobs = _todo(conn)
    assert sorted(j["args"]["channel_id"] for j in jobs) == sorted(str(c) for c in channels)


def _finished(conn: Conn, channel: Any, status: str, finished_at: Any, count: int = 1) -> list[Any]:
    """Messages finished at an instant (delivered or failed), each with one attempt."""
    rows = conn.execute(
        "INSERT INTO notify_messages (channel_id, event_type, event_at, payload, status,"
        " attempts, created_at, delivered_at, finished_at)"
        " SELECT %(channel)s, 'channel.test', %(at)s, '{}', %(status)s, 1, %(at)s,"
        " CASE WHEN %(status)s = 'delivered' THEN %(at)s END, %(at)s"
        " FROM generate_series(1, %(count)s) RETURNING id",
        {"channel": channel, "status": status, "at": finished_at, "count": count},
    ).fetchall()
    conn.execute(
        "INSERT INTO notify_attempts (message_id, at, outcome, status_code)"
        " SELECT id, finished_at, status, 200 FROM notify_messages WHERE id = ANY(%s)",
        ([r["id"] for r in rows],),
    )
    return [r["id"] for r in rows]


def _left(conn: Conn) -> tuple[set[Any], int]:
    messages = {r["id"] for r in conn.execute("SELECT id FROM notify_messages").fetchall()}
    orphans = conn.execute(
        "SELECT count(*) AS n FROM notify_attempts a"
        " WHERE NOT EXISTS (SELECT 1 FROM notify_messages m WHERE m.id = a.message_id)"
    ).fetchone()
    assert orphans is not None
    return messages, orphans["n"]


async def test_finished_messages_and_their_attempts_go_after_their_retention(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    """Delivered ones a week after delivery, failed ones a month after failing; pending ones
    (a disabled channel's, say) stay however old, since they are still to be sent."""
    channel = conn.execute(
        "INSERT INTO notify_channels (name, kind, target, disabled_at)"
        " VALUES ('s', 'slack', 'https://x.y/z', now()) RETURNING id"
    ).fetchone()
    assert channel
    now, day, second = clock.now(), timedelta(days=1), timedelta(seconds=1)
    retention = NotifyRetention()
    assert retention.delivered >= 7 * day  # the deliveries list shows at least a week
    _finished(conn, channel["id"], "delivered", now - 7 * day - second)
    [delivered_new] = _finished(conn, channel["id"], "delivered", now - 7 * day + second)
    _finished(conn, channel["id"], "failed", now - 30 * day - second)
    [failed_new] = _finished(conn, channel["id"], "failed", now - 7 * day - second)
    [pending] = [
        r["id"]
        for r in conn.execute(
            "INSERT INTO notify_messages (channel_id, event_type, event_at, payload, created_at)"
            " VALUES (%s, 'channel.test', %s, '{}', %s) RETURNING id",
            (channel["id"], now - 90 * day, now - 90 * day),
        ).fetchall()
    ]
    conn.execute(
        "INSERT INTO notify_attempts (message_id, at, outcome, status_code)"
        " VALUES (%s, %s, 'retry', 503)",
        (pending, now - 90 * day),
    )
    sweep = NotifySweep(pool, app, retention)
    await sweep.sweep()
    assert _left(conn) == ({delivered_new, failed_new, pending}, 0)
    attempts = conn.execute("SELECT count(*) AS n FROM notify_attempts").fetchone()
    assert attempts is not None and attempts["n"] == 3
    clock.advance(timedelta(seconds=2))
    assert await sweep.purge() == 1  # delivered_new's week is over now
    assert _left(conn) == ({failed_new, pending}, 0)


async def test_the_purge_deletes_in_bounded_batches(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    channel = slack_channel(conn)
    per_pass = RETENTION_BATCH * RETENTION_ROUNDS
    old = clock.now() - timedelta(days=8)
    _finished(conn, channel, "delivered", old, per_pass + 5)
    sweep = NotifySweep(pool, app)
    assert await sweep.purge() == per_pass
    assert await sweep.purge() == 5
    assert _left(conn) == (set(), 0)
