"""What the engine's own writes send: one message per change of the effective person, none for
a boundary that changes nobody, one summary per rotation after a downtime. The engine runs in
process (its processor and dispatcher) with the clock moved."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from engine.helpers import add, rotation, run_jobs, user
from handoff.engine.dispatcher import Dispatcher
from handoff.engine.process import Processor
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .helpers import Conn, messages, subscribe

HOUR = timedelta(hours=1)


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


def _channel(conn: Conn) -> UUID:
    row = conn.execute(
        "INSERT INTO notify_channels (name, kind, target) VALUES"
        " ('team', 'slack', 'https://hooks.example.com/x') RETURNING id"
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


async def _run_at(
    conn: Conn, pool: AsyncConnectionPool[Any], processor: Processor, clock: ClockSeam, at: datetime
) -> None:
    clock.set(at)
    await Dispatcher(pool).tick()
    await run_jobs(conn, processor)


def _hour(clock: ClockSeam) -> datetime:
    return clock.now().replace(minute=0, second=0, microsecond=0)


async def test_each_boundary_that_changes_the_person_is_one_message(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    processor = Processor(pool)
    rid = rotation(conn, "ops", _hour(clock) - HOUR, type="hourly")
    solo = rotation(conn, "solo", _hour(clock) - HOUR, type="hourly")
    ann, bob = user(conn, "ann"), user(conn, "bob")
    channel = _channel(conn)
    subscribe(conn, rid, channel)
    subscribe(conn, solo, channel)
    add(conn, rid, ann, bob)
    add(conn, solo, ann)
    await run_jobs(conn, processor)
    started = len(messages(conn))  # each rotation's start: nobody -> ann
    base = _hour(clock)
    for hours in (1, 2):
        await _run_at(conn, pool, processor, clock, base + hours * HOUR)
    sent = [m["payload"]["data"] for m in messages(conn)][started:]
    assert [
        (d["rotation"]["name"], d["from_user"]["name"], d["to_user"]["name"]) for d in sent
    ] == [
        ("ops", "ann", "bob"),
        ("ops", "bob", "ann"),
    ], "the one-person rotation's boundaries changed nobody and sent nothing"
    assert all(d["missed"] == 0 and d["cause"] == "boundary" for d in sent)
    assert datetime.fromisoformat(sent[0]["next_change_at"]) == datetime.fromisoformat(
        sent[1]["at"]
    )


async def test_a_downtime_is_one_summary_per_rotation(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    processor = Processor(pool)
    ann, bob, cy = user(conn, "ann"), user(conn, "bob"), user(conn, "cy")
    channel = _channel(conn)
    rotations = []
    for name in ("a", "b"):
        rid = rotation(conn, name, _hour(clock) - HOUR, type="hourly")
        subscribe(conn, rid, channel)
        add(conn, rid, ann, bob, cy)
        rotations.append(rid)
    await run_jobs(conn, processor)
    started = len(messages(conn))
    await _run_at(conn, pool, processor, clock, _hour(clock) + 10 * HOUR + 5 * timedelta(minutes=1))
    sent = messages(conn)[started:]
    assert sorted(m["rotation_id"] for m in sent) == sorted(rotations)
    for message in sent:
        data = message["payload"]["data"]
        assert data["missed"] == 10
        assert data["from_user"]["name"] == "ann"  # who was on call when it went down
        assert data["to_user"]["name"] == "bob"  # who is on call now (10 handoffs on)


async def test_an_active_end_is_a_change_to_nobody_and_is_sent(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    """hours.md: the end of the active period is an on-call change to nobody, notified like
    any other; its start is one back to the person."""
    processor = Processor(pool)
    base = _hour(clock)
    closes, opens = base + 2 * HOUR, base + 5 * HOUR
    rid = rotation(conn, "ops", base - 24 * HOUR)  # daily
    # every day from `opens` to `closes` the next day: inactive from `closes` to `opens`
    window = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
               "from": f"{opens:%H:%M}", "to": f"{closes:%H:%M}"}]  # fmt: skip
    conn.execute("UPDATE rotations SET active_hours = %s WHERE id = %s", (Jsonb(window), rid))
    subscribe(conn, rid, _channel(conn))
    add(conn, rid, user(conn, "ann"))
    await run_jobs(conn, processor)
    started = len(messages(conn))
    for at in (closes, opens):
        await _run_at(conn, pool, processor, clock, at)
    sent = [m["payload"]["data"] for m in messages(conn)][started:]

    def name(person: dict[str, Any] | None) -> str | None:
        return None if person is None else person["name"]

    assert [(d["cause"], name(d["from_user"]), name(d["to_user"])) for d in sent] == [
        ("active_end", "ann", None),
        ("active_start", None, "ann"),
    ]
    assert datetime.fromisoformat(sent[0]["at"]) == closes
