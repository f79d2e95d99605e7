"""The outbox is written by the trigger on handoffs, in the same transaction as the change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.store import notify
from handoff.store.db import connect

from .conftest import Receiver
from .helpers import Conn, messages, record, rotation, subscribe, user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


async def _channel(pool: AsyncConnectionPool[Any], receiver: Receiver, name: str) -> Any:
    async with pool.connection() as aconn:
        channel, _ = await notify.create_channel(aconn, name, "webhook", receiver.at("/" + name))
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
        record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob"))])
        raise RuntimeError("the writer failed after recording")
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
