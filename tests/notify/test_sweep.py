"""The worker's notification sweep: a line whose head came due gets one job, a line a live job
holds gets none, and the pending gauge follows the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import procrastinate
import pytest
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from handoff.engine.app import build_app
from handoff.notify.deliver import line_key
from handoff.notify.sweep import NotifySweep
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .helpers import Conn, record, rotation, subscribe, user


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
    channel = conn.execute(
        "INSERT INTO notify_channels (name, kind, target) VALUES ('s', 'slack', 'https://x.y/z')"
        " RETURNING id"
    ).fetchone()
    assert channel
    subscribe(conn, rot, channel["id"])
    record(conn, rot, [(clock.now(), (ann, "Ann"), (bob, "Bob"))])
    # The message waits for a retry.
    conn.execute(
        "UPDATE notify_messages SET next_attempt_at = %s", (clock.now() + timedelta(minutes=1),)
    )
    sweep = NotifySweep(pool, app)
    assert await sweep.sweep() == 0
    assert REGISTRY.get_sample_value("handoff_deliveries_pending") == 1
    clock.advance(timedelta(minutes=1))
    with connect(conn.info.dsn, autocommit=True) as holder:
        holder.execute(
            "SELECT pg_advisory_lock(hashtextextended(%s, 0))", (line_key(channel["id"], rot),)
        )
        assert await sweep.sweep() == 0, "a line a live job holds was enqueued again"
    assert await sweep.sweep() == 1
    assert await sweep.sweep() == 0  # it has its waiting job
    assert _todo(conn) == [{"args": {"channel_id": str(channel["id"]), "rotation_id": str(rot)}}]


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
