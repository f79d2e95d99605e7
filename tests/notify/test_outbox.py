"""The outbox is written by the trigger on handoffs, in the same transaction as the change: a
staged row per change and channel, which the worker's sweep publishes as messages."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.notify import channels
from handoff.notify.deliver import YIELD_LIMIT
from handoff.notify.sweep import NotifySweep
from handoff.store.db import connect

from .conftest import Receiver
from .helpers import (
    Conn,
    Q,
    messages,
    publish,
    record,
    rotation,
    slack_channel,
    staged,
    subscribe,
    user,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


async def _channel(pool: AsyncConnectionPool[Any], receiver: Receiver, name: str) -> Any:
    async with pool.connection() as aconn:
        channel, _ = await channels.create_channel(aconn, name, "webhook", receiver.at("/" + name))
    return channel.id


async def test_one_message_per_subscribed_channel_and_effective_change(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    ann, bob = user(conn, "Ann", "ann@example.com"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0, time_zone="Europe/Berlin")
    other = rotation(conn, "other", T0)
    first, second = await _channel(pool, receiver, "a"), await _channel(pool, receiver, "b")
    subscribe(conn, rot, first)
    subscribe(conn, rot, second)
    record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob"))])
    record(conn, rot, [(T0 + HOUR, (bob, "Bob"), (bob, "Bob"))], effective=False)
    record(conn, other, [(T0, (ann, "Ann"), (bob, "Bob"))])
    sent = messages(conn)
    assert sorted(m["channel_id"] for m in sent) == sorted([first, second])
    data = sent[0]["payload"]["data"]
    assert sent[0]["payload"]["type"] == "rotation.oncall_changed"
    assert data["rotation"] == {"id": str(rot), "name": "payments", "time_zone": "Europe/Berlin"}
    assert data["from_user"] == {"id": str(ann), "name": "Ann", "email": "ann@example.com"}
    assert data["to_user"] == {"id": str(bob), "name": "Bob", "email": None}
    assert data["missed"] == 0 and data["cause"] == "boundary"
    assert datetime.fromisoformat(data["at"]) == T0
    assert sent[0]["payload"] == sent[1]["payload"]


async def test_a_rolled_back_change_writes_no_message(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0)
    subscribe(conn, rot, await _channel(pool, receiver, "a"))
    with pytest.raises(RuntimeError), conn.transaction():
        record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob"))], published=False)
        assert staged(conn) == 1
        raise RuntimeError("the writer failed after recording")
    assert staged(conn) == 0
    assert messages(conn) == []
    assert conn.execute(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE queue_name = 'notifications'"
    ).fetchone() == {"n": 0}


async def test_a_catch_up_sends_one_summary_per_rotation(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    ann, bob, cy = user(conn, "Ann"), user(conn, "Bob"), user(conn, "Cy")
    rot = rotation(conn, "payments", T0)
    subscribe(conn, rot, await _channel(pool, receiver, "a"))
    people = [(ann, "Ann"), (bob, "Bob"), (cy, "Cy")]
    record(conn, rot, [(T0 + i * HOUR, people[i % 3], people[(i + 1) % 3]) for i in range(7)])
    (summary,) = messages(conn)
    data = summary["payload"]["data"]
    assert data["missed"] == 7
    assert data["from_user"]["name"] == "Ann" and data["to_user"]["name"] == "Bob"
    assert datetime.fromisoformat(data["at"]) == T0 + 6 * HOUR


async def test_a_change_writes_its_messages_and_no_queue_job(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    """The write path pays for an outbox row per change and channel, nothing more: the
    worker's sweep enqueues the deliveries (test_sweep)."""
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0)
    subscribe(conn, rot, await _channel(pool, receiver, "a"))
    for i in range(3):
        record(conn, rot, [(T0 + i * HOUR, (ann, "Ann"), (bob, "Bob"))])
    assert len(messages(conn)) == 3
    assert conn.execute("SELECT count(*) AS n FROM procrastinate_jobs").fetchone() == {"n": 0}


def test_a_webhook_channel_must_have_its_secret(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO notify_channels (name, kind, target) VALUES ('x', 'webhook', 'http://a')"
        )


async def test_the_write_stages_and_the_sweep_publishes_in_order_and_enqueues(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    """The write transaction only stages (no message, no job); a pass of the worker's sweep
    turns what several transactions staged into messages in the order of the changes, and
    enqueues the channel's delivery job."""
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0)
    channel = await _channel(pool, receiver, "a")
    subscribe(conn, rot, channel)
    for i in range(3):
        people = [(ann, "Ann"), (bob, "Bob")]
        record(conn, rot, [(T0 + i * HOUR, people[i % 2], people[(i + 1) % 2])], published=False)
    assert staged(conn) == 3
    assert conn.execute("SELECT count(*) AS n FROM notify_messages").fetchone() == {"n": 0}
    sweep = NotifySweep(pool, procrastinate.App(connector=procrastinate.PsycopgConnector()))
    sweep._last_stalled_scan = sweep._last_purge = time.monotonic()  # not due this pass
    assert await sweep.sweep() == 1
    assert staged(conn) == 0
    sent = messages(conn)
    assert [datetime.fromisoformat(m["payload"]["data"]["at"]) for m in sent] == [
        T0,
        T0 + HOUR,
        T0 + 2 * HOUR,
    ]
    assert [m["seq"] for m in sent] == sorted(m["seq"] for m in sent)
    assert conn.execute(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE queue_name = 'notifications'"
    ).fetchone() == {"n": 1}


async def test_staged_changes_outlive_their_rotation_but_not_their_channel(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    """A rotation deleted before the sweep publishes is still told about, with the name it
    had; a channel deleted meanwhile is sent nothing, as its messages would have gone with it."""
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0)
    kept, dropped = await _channel(pool, receiver, "a"), await _channel(pool, receiver, "b")
    subscribe(conn, rot, kept)
    subscribe(conn, rot, dropped)
    record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob"))], published=False)
    conn.execute("DELETE FROM rotations WHERE id = %s", (rot,))
    conn.execute("DELETE FROM notify_channels WHERE id = %s", (dropped,))
    (message,) = messages(conn)
    assert message["channel_id"] == kept
    assert message["payload"]["data"]["rotation"]["name"] == "payments"


async def test_publishing_steps_aside_while_rotation_jobs_wait_but_not_for_long(
    conn: Conn, pool: AsyncConnectionPool[Any]
) -> None:
    """In a storm the sweep leaves the staged changes until the rotation jobs are done, as
    deliveries do, and publishes anyway once it has waited YIELD_LIMIT."""
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0)
    subscribe(conn, rot, slack_channel(conn))
    record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob"))], published=False)
    conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
        " VALUES ('rotations', 'update_rotations', '{}')"
    )
    sweep = NotifySweep(pool, procrastinate.App(connector=procrastinate.PsycopgConnector()))
    assert await sweep.publish_unless_busy() == 0
    assert await sweep.publish_unless_busy() == 0
    assert staged(conn) == 1
    assert sweep._deferred_since is not None
    sweep._deferred_since -= YIELD_LIMIT  # waited that long: the storm is long
    assert await sweep.publish_unless_busy() == 1
    record(conn, rot, [(T0 + HOUR, (bob, "Bob"), (ann, "Ann"))], published=False)
    assert await sweep.publish_unless_busy() == 0  # a new wait begins
    conn.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'rotations'")
    assert await sweep.publish_unless_busy() == 1


def test_one_sweep_publishes_at_a_time(conn: Conn, db_url: str) -> None:
    """While one sweep's publishing transaction is open, another's publishes nothing and leaves
    the rows to it: two publishers could otherwise number one line's messages out of order."""
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    rot = rotation(conn, "payments", T0)
    subscribe(conn, rot, slack_channel(conn))
    record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob"))], published=False)
    with connect(db_url) as first, first.transaction():
        assert first.execute(Q["publish_staged"]).fetchone() == {"published": 1}
        record(conn, rot, [(T0 + HOUR, (bob, "Bob"), (ann, "Ann"))], published=False)
        assert publish(conn) == 0
        assert staged(conn) == 2  # the first publisher's delete is not committed yet
    assert staged(conn) == 1
    assert publish(conn) == 1
    assert [m["payload"]["data"]["to_user"]["name"] for m in messages(conn)] == ["Bob", "Ann"]
