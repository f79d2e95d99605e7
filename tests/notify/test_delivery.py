"""Delivery of one line, in process: signatures, stable ids, retries, order, disabling.

The job is run directly (deliver_line), with the engine's clock moved, never slept: a retry
is due when handoff_now() says so.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool
from standardwebhooks import Webhook

from handoff.notify import channels, deliver, signing
from handoff.notify.deliver import deliver_backlog, deliver_line
from handoff.store import notify
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .conftest import Receiver
from .helpers import (
    Conn,
    attempts,
    holding_line,
    messages,
    record,
    rotation,
    subscribe,
    user,
)

HOUR = timedelta(hours=1)


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


class Line:
    """A rotation subscribed to one webhook channel at `path` of the receiver."""

    def __init__(self, conn: Conn, channel_id: UUID, secret: str, rotation_id: UUID) -> None:
        self.conn, self.channel_id, self.secret, self.rotation_id = (
            conn,
            channel_id,
            secret,
            rotation_id,
        )
        self.ann, self.bob = user(conn, "Ann"), user(conn, "Bob")
        self.changes = 0

    def change(self, at: datetime) -> None:
        """Record an on-call change at `at` (plus a microsecond per earlier change, so each
        instant is recorded once)."""
        at += timedelta(microseconds=self.changes)
        people = [(self.ann, "Ann"), (self.bob, "Bob")]
        record(
            self.conn,
            self.rotation_id,
            [(at, people[self.changes % 2], people[(self.changes + 1) % 2])],
        )
        self.changes += 1


async def _line(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> Line:
    async with pool.connection() as aconn:
        channel, secret = await channels.create_channel(
            aconn, "team", "webhook", receiver.at("/hook")
        )
    assert secret is not None and secret.startswith("whsec_")
    rot = rotation(conn, "payments", clock.now().replace(second=0) - HOUR)
    subscribe(conn, rot, channel.id)
    return Line(conn, channel.id, secret, rot)


async def _deliver(pool: AsyncConnectionPool[Any], line: Line) -> int:
    return await deliver_line(pool, line.channel_id, line.rotation_id, random.Random(1))


def _verified(secret: str, request: Any) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return payload


async def test_delivered_messages_are_signed_and_sent_in_order(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    line = await _line(conn, pool, receiver, clock)
    for i in range(3):
        line.change(clock.now() - timedelta(minutes=3 - i))
    assert await _deliver(pool, line) == 3
    got = receiver.to("/hook")
    ids = [m["id"] for m in messages(conn)]
    assert [r.headers["webhook-id"] for r in got] == [f"msg_{i.hex}" for i in ids]
    ats = [_verified(line.secret, r)["data"]["at"] for r in got]
    assert ats == sorted(ats)
    assert {m["status"] for m in messages(conn)} == {"delivered"}


async def test_retries_keep_the_id_and_body_and_honour_retry_after(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    receiver.scripts["/hook"] = lambda n: (503, {"Retry-After": "120"}) if n < 2 else (200, {})
    line = await _line(conn, pool, receiver, clock)
    line.change(clock.now())
    line.change(clock.now())
    assert await _deliver(pool, line) == 1
    (first, second) = messages(conn)
    assert first["next_attempt_at"] == clock.now() + timedelta(seconds=120)
    clock.advance(timedelta(seconds=119))
    assert await _deliver(pool, line) == 0, "sent before its Retry-After"
    clock.advance(timedelta(seconds=1))
    assert await _deliver(pool, line) == 1  # the second 503
    clock.advance(timedelta(seconds=120))
    assert await _deliver(pool, line) == 2
    got = receiver.to("/hook")
    assert [r.headers["webhook-id"] for r in got] == [f"msg_{first['id'].hex}"] * 3 + [
        f"msg_{second['id'].hex}"
    ]
    assert len({r.body for r in got[:3]}) == 1
    for request in got:
        _verified(line.secret, request)
    assert [a["status_code"] for a in attempts(conn, first["id"])] == [503, 503, 200]


async def test_backoff_without_retry_after_grows(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    receiver.scripts["/hook"] = lambda n: (500, {})
    line = await _line(conn, pool, receiver, clock)
    line.change(clock.now())
    waits = []
    for _ in range(4):
        assert await _deliver(pool, line) == 1
        (message,) = messages(conn)
        waits.append(message["next_attempt_at"] - clock.now())
        clock.set(message["next_attempt_at"])
    assert all(b > a for a, b in itertools.pairwise(waits)), waits
    assert waits[0] <= timedelta(seconds=5)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
async def test_a_4xx_fails_the_message_at_once_and_the_line_goes_on(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam, status: int
) -> None:
    receiver.scripts["/hook"] = lambda n: (status, {}) if n == 0 else (204, {})
    line = await _line(conn, pool, receiver, clock)
    line.change(clock.now())
    line.change(clock.now())
    assert await _deliver(pool, line) == 2
    assert [m["status"] for m in messages(conn)] == ["failed", "delivered"]


@pytest.mark.parametrize("status", [408, 429])
async def test_408_and_429_are_retried(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam, status: int
) -> None:
    receiver.scripts["/hook"] = lambda n: (status, {}) if n == 0 else (204, {})
    line = await _line(conn, pool, receiver, clock)
    line.change(clock.now())
    assert await _deliver(pool, line) == 1
    assert [m["status"] for m in messages(conn)] == ["pending"]


async def test_a_channel_failing_for_a_day_is_disabled_and_resumes_when_enabled(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    receiver.scripts["/hook"] = lambda n: (503, {"Retry-After": "3600"})
    line = await _line(conn, pool, receiver, clock)
    line.change(clock.now())
    for _ in range(25):
        await _deliver(pool, line)
        clock.advance(HOUR)
    async with pool.connection() as aconn:
        channel = await notify.get_channel(aconn, line.channel_id)
    assert channel.disabled_at is not None
    assert channel.last_error == "HTTP 503; retried for 24 hours, gave up"
    tried = len(receiver.to("/hook"))
    line.change(clock.now())
    clock.advance(HOUR)
    assert await _deliver(pool, line) == 0, "a disabled channel was sent to"
    assert len(receiver.to("/hook")) == tried
    receiver.scripts["/hook"] = lambda n: (200, {})
    async with pool.connection() as aconn:
        channel = await channels.update_channel(aconn, line.channel_id, enabled=True)
    assert channel.disabled_at is None and channel.last_error is None
    assert await _deliver(pool, line) == 1
    # The first message was retried for 24 hours: it failed for good, as its channel stopped.
    assert [m["status"] for m in messages(conn)] == ["failed", "delivered"]


async def test_a_poison_message_fails_after_a_day_and_its_line_moves_on(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    """A message its receiver never takes is retried for 24 hours by the engine's clock, then
    fails for good and the next message on its line is delivered; the hourly successes of
    another rotation on the same channel neither restart its clock nor let it block the line."""
    line = await _line(conn, pool, receiver, clock)
    other = Line(
        conn,
        line.channel_id,
        line.secret,
        rotation(conn, "other", clock.now().replace(second=0) - HOUR),
    )
    subscribe(conn, other.rotation_id, line.channel_id)
    line.change(clock.now())
    line.change(clock.now())
    poison, following = messages(conn, line.channel_id)
    receiver.refused.add(signing.message_id(poison["id"].hex))
    started = clock.now()
    while clock.now() - started < timedelta(hours=26):
        other.change(clock.now())
        await deliver_line(pool, line.channel_id, other.rotation_id)
        await _deliver(pool, line)
        clock.advance(HOUR / 2)
    by_id = {m["id"]: m for m in messages(conn, line.channel_id)}
    failed, delivered = by_id[poison["id"]], by_id[following["id"]]
    assert failed["status"] == "failed"
    assert failed["last_error"] == "HTTP 503; retried for 24 hours, gave up"
    tried = attempts(conn, poison["id"])
    assert timedelta(hours=24) <= tried[-1]["at"] - tried[0]["at"] < timedelta(hours=25)
    assert [a["outcome"] for a in tried] == ["retry"] * (len(tried) - 1) + ["failed"]
    assert delivered["status"] == "delivered"
    assert delivered["delivered_at"] >= tried[-1]["at"]
    others = [m for m in messages(conn, line.channel_id) if m["rotation_id"] == other.rotation_id]
    assert {m["status"] for m in others} == {"delivered"}
    async with pool.connection() as aconn:
        assert (await notify.get_channel(aconn, line.channel_id)).disabled_at is None


async def test_an_unreachable_receiver_is_retried(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    receiver: Receiver,
    clock: ClockSeam,
    closed_port: int,
) -> None:
    line = await _line(conn, pool, receiver, clock)
    conn.execute(
        "UPDATE notify_channels SET target = %s WHERE id = %s",
        (f"http://127.0.0.1:{closed_port}/closed", line.channel_id),
    )
    line.change(clock.now())
    assert await _deliver(pool, line) == 1
    (message,) = messages(conn)
    assert message["status"] == "pending" and message["last_error"]
    assert attempts(conn, message["id"])[0]["status_code"] is None


async def test_the_body_timestamp_is_the_events_and_the_header_the_attempts(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    """The header's timestamp is the engine's clock (the database's), not the host's."""
    line = await _line(conn, pool, receiver, clock)
    at = clock.now() - timedelta(days=2)
    line.change(at)
    clock.advance(timedelta(days=3))
    await _deliver(pool, line)
    (request,) = receiver.to("/hook")
    body = json.loads(request.body)
    assert datetime.fromisoformat(body["timestamp"]) == at
    assert abs(int(request.headers["webhook-timestamp"]) - clock.now().timestamp()) < 60


async def test_deliveries_are_counted_and_their_lag_measured(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    receiver.scripts["/hook"] = lambda n: (503, {"Retry-After": "1"}) if n == 0 else (200, {})
    line = await _line(conn, pool, receiver, clock)
    delivered = sample("handoff_deliveries_total", kind="webhook", outcome="delivered")
    retried = sample("handoff_deliveries_total", kind="webhook", outcome="retry")
    lags = sample("handoff_delivery_lag_seconds_count")
    line.change(clock.now() - timedelta(seconds=30))
    await _deliver(pool, line)
    clock.advance(timedelta(seconds=1))
    await _deliver(pool, line)
    assert sample("handoff_deliveries_total", kind="webhook", outcome="retry") == retried + 1
    assert sample("handoff_deliveries_total", kind="webhook", outcome="delivered") == delivered + 1
    assert sample("handoff_delivery_lag_seconds_count") == lags + 1


async def test_a_job_with_time_left_drains_other_due_lines_but_not_held_ones(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, clock: ClockSeam
) -> None:
    line = await _line(conn, pool, receiver, clock)
    others = [rotation(conn, f"r{i}", clock.now().replace(second=0)) for i in range(3)]
    for other in others:
        subscribe(conn, other, line.channel_id)
        record(conn, other, [(clock.now(), (line.ann, "Ann"), (line.bob, "Bob"))])
    line.change(clock.now())
    with holding_line(conn.info.dsn, line.channel_id, others[0]):
        assert await deliver_backlog(pool, line.channel_id, line.rotation_id) == 3
    pending = [m["rotation_id"] for m in messages(conn) if m["status"] == "pending"]
    assert pending == [others[0]]


async def test_a_send_steps_aside_while_rotation_jobs_wait(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    receiver: Receiver,
    clock: ClockSeam,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deliver, "YIELD_LIMIT", 0.6)
    monkeypatch.setattr(deliver, "YIELD_PAUSE", 0.1)
    # What each look at the rotation queue found (the real check, on the real database): the
    # test asserts on the looks, not on how long a loaded machine took to deliver.
    looks: list[bool] = []
    busy = deliver.handoffs_busy

    async def looked(aconn: Any) -> bool:
        looks.append(await busy(aconn))
        return looks[-1]

    monkeypatch.setattr(deliver, "handoffs_busy", looked)
    line = await _line(conn, pool, receiver, clock)
    line.change(clock.now())
    conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
        " VALUES ('rotations', 'update_rotations', '{}')"
    )
    began = time.monotonic()
    assert await _deliver(pool, line) == 1
    assert time.monotonic() - began >= 0.6  # a lower bound: sleeps are never shorter
    assert looks[:7] == [True] * 7  # looked every YIELD_PAUSE until YIELD_LIMIT, all busy
    conn.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'rotations'")
    line.change(clock.now())
    looks.clear()
    assert await _deliver(pool, line) == 1
    assert looks and not any(looks)  # nothing waited: it never stepped aside
