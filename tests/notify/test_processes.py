"""Real `handoff worker` processes deliver a storm of subscribed rotations, one killed midway.

Every rotation hands off at the same boundary; each change is a message to a local receiver
that is slow and fails some first attempts. One worker is killed with SIGKILL while it is
sending; the other carries on. Every change arrives, each id's attempts carry the same body,
and every signature verifies with the Standard Webhooks library.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from standardwebhooks import Webhook

from handoff.notify import channels
from handoff.store.db import connect

from .conftest import Receiver, Spawn
from .helpers import Conn, user

pytestmark = pytest.mark.e2e

STORM = 150
HOUR = timedelta(hours=1)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _scalar(conn: Conn, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row
    return next(iter(row.values()))


def _subscribed_due_rotations(conn: Conn, count: int, channel_id: Any) -> datetime:
    """`count` hourly rotations (ann, then bob) subscribed to the channel, whose boundary B
    (the whole minute that just passed) is not yet processed; returns B."""
    now = datetime.now(UTC)
    boundary = now.replace(second=0, microsecond=0)
    if now - boundary < timedelta(seconds=1):
        boundary -= timedelta(minutes=1)
    ann, bob = user(conn, "ann"), user(conn, "bob")
    with conn.transaction():
        conn.execute(
            "WITH r AS (INSERT INTO rotations (name, type, start_at, time_zone, grid_changed_at)"
            " SELECT 'r' || g, 'hourly', %(since)s, 'UTC', %(since)s"
            " FROM generate_series(1, %(n)s) g RETURNING id),"
            " s AS (INSERT INTO notify_subscriptions (rotation_id, channel_id)"
            " SELECT id, %(channel)s FROM r)"
            " INSERT INTO participants (rotation_id, user_id, position)"
            " SELECT r.id, u.id, u.pos FROM r CROSS JOIN (VALUES (%(ann)s::uuid, 0),"
            " (%(bob)s::uuid, 1)) AS u(id, pos)",
            {
                "since": boundary - HOUR,
                "n": count,
                "ann": ann,
                "bob": bob,
                "channel": channel_id,
            },
        )
        conn.execute("DELETE FROM procrastinate_jobs")
        conn.execute(
            "INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start)"
            " SELECT rotation_id, 0, id, %s FROM participants WHERE position = 0",
            (boundary - HOUR,),
        )
        conn.execute(
            "UPDATE rotation_schedule SET job_id = NULL, dispatched_at = NULL, next_run_at = %s",
            (boundary,),
        )
    return boundary


def test_a_storm_is_delivered_whole_through_a_killed_worker_and_failing_first_attempts(
    db_url: str, receiver: Receiver, spawn: Spawn
) -> None:
    # Every fifth request is refused with a short Retry-After, every answer takes 20 ms.
    receiver.scripts["/hook"] = lambda n: (503, {"Retry-After": "1"}) if n % 5 == 0 else (200, {})
    receiver.delay = 0.02

    async def create() -> tuple[Any, str]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as aconn:
            channel, secret = await channels.create_channel(
                aconn, "team", "webhook", receiver.at("/hook")
            )
        assert secret is not None
        return channel.id, secret

    channel_id, secret = asyncio.run(create())
    with connect(db_url, autocommit=True) as conn:
        victim = spawn("--concurrency", "2")
        spawn("--concurrency", "2")
        _wait(
            lambda: _scalar(conn, "SELECT count(*) FROM procrastinate_workers") >= 4,
            30,
            "two worker processes",
        )
        _subscribed_due_rotations(conn, STORM, channel_id)
        _wait(lambda: len(receiver.to("/hook")) >= 20, 60, "the first deliveries")
        victim.kill()
        victim.wait()
        _wait(
            lambda: (
                _scalar(conn, "SELECT count(*) FROM notify_messages WHERE status = 'delivered'")
                == STORM
            ),
            60,
            "every message delivered",
        )
        ids = {
            f"msg_{r['id'].hex}" for r in conn.execute("SELECT id FROM notify_messages").fetchall()
        }
        changes = _scalar(conn, "SELECT count(*) FROM handoffs WHERE effective")
    assert changes == STORM == len(ids)
    bodies: dict[str, set[bytes]] = defaultdict(set)
    delivered = set()
    verifier = Webhook(secret)
    for request in receiver.to("/hook"):
        verifier.verify(request.body, request.headers)
        msg_id = request.headers["webhook-id"]
        bodies[msg_id].add(request.body)
        if 200 <= request.status < 300:
            delivered.add(msg_id)
    assert delivered == ids
    assert all(len(b) == 1 for b in bodies.values()), "an id was sent with different bodies"
    assert any(r.status == 503 for r in receiver.to("/hook"))
    rotations = {json.loads(next(iter(b)))["data"]["rotation"]["id"] for b in bodies.values()}
    assert len(rotations) == STORM


def test_a_worker_sends_a_reminder_that_is_due(
    db_url: str, receiver: Receiver, spawn: Spawn
) -> None:
    async def create() -> Any:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as aconn:
            channel, _ = await channels.create_channel(aconn, "pager", "slack", receiver.at("/r"))
        return channel.id

    channel_id = asyncio.run(create())
    spawn("--concurrency", "1")
    with connect(db_url, autocommit=True) as conn:
        ann, bob = user(conn, "Ann"), user(conn, "Bob")
        start = datetime.now(UTC).replace(second=0, microsecond=0) - HOUR
        row = conn.execute(
            "INSERT INTO rotations (name, type, start_at, time_zone) VALUES"
            " ('ops', 'daily', %s, 'UTC') RETURNING id",
            (start,),
        ).fetchone()
        assert row
        conn.execute(
            "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 0),"
            " (%s, %s, 1)",
            (row["id"], ann, row["id"], bob),
        )
        # Bob's shift starts at the next boundary, in about 23 hours: a day's notice is due
        # now (his next one, two days later, is not).
        conn.execute(
            "INSERT INTO notify_reminders (user_id, channel_id, before_minutes)"
            " VALUES (%s, %s, 1440)",
            (bob, channel_id),
        )
        _wait(lambda: len(receiver.to("/r")) >= 1, 30, "the reminder")
        (request,) = receiver.to("/r")
        assert "Reminder: Bob is on call for ops" in json.loads(request.body)["text"]
        assert _scalar(conn, "SELECT count(*) FROM notify_messages") == 1
        _wait(
            lambda: _scalar(conn, "SELECT status FROM notify_messages") == "delivered",
            10,
            "the reminder recorded as delivered",
        )
