"""Delivery in rounds: many lines' heads sent at once by one job, over kept-alive connections,
each line still one message at a time and in order, every line unlocked whatever happens.

The receiver here speaks HTTP/1.1 (keep-alive) and holds each request a moment, recording
when it started and ended and on which connection, so overlap and reuse can be seen.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool

from handoff.notify import channels, deliver, policy
from handoff.notify.deliver import deliver_backlog, deliver_line
from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .helpers import Conn, messages, record, rotation, subscribe, user

HOLD = 0.2  # seconds the receiver holds each request


@dataclass(frozen=True)
class Hit:
    message_id: str
    port: int  # the sender's end of the connection
    began: float
    ended: float


@dataclass
class Hold:
    url: str
    status: int = 200
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    entered: threading.Event = field(default_factory=threading.Event)

    def ids(self) -> list[str]:
        with self.lock:
            return [h.message_id for h in self.hits]


@pytest.fixture
def hold(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hold]:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    holder: dict[str, Hold] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            began = time.monotonic()
            rec = holder["hold"]
            rec.entered.set()
            self.rfile.read(int(self.headers.get("content-length", "0")))
            time.sleep(HOLD)
            with rec.lock:
                rec.hits.append(
                    Hit(
                        self.headers.get("webhook-id", ""),
                        self.client_address[1],
                        began,
                        time.monotonic(),
                    )
                )
            self.send_response(rec.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    http.daemon_threads = True
    holder["hold"] = Hold(f"http://127.0.0.1:{http.server_port}/hook")
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield holder["hold"]
    http.shutdown()
    http.server_close()


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


async def _lines(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    clock: ClockSeam,
    target: str,
    count: int,
    per_line: int = 1,
    name: str = "team",
) -> tuple[UUID, list[UUID]]:
    """`count` rotations subscribed to one webhook channel at `target`, with `per_line`
    on-call changes each (so as many messages per line, in order)."""
    async with pool.connection() as aconn:
        channel, _ = await channels.create_channel(aconn, name, "webhook", target)
    ann, bob = user(conn, "Ann"), user(conn, "Bob")
    people = [(ann, "Ann"), (bob, "Bob")]
    start = clock.now().replace(second=0) - timedelta(hours=1)
    rotations = [rotation(conn, f"{name} {i}", start) for i in range(count)]
    for rot in rotations:
        subscribe(conn, rot, channel.id)
    for k in range(per_line):
        for rot in rotations:
            at = clock.now() + timedelta(microseconds=k)
            record(conn, rot, [(at, people[k % 2], people[(k + 1) % 2])])
    return channel.id, rotations


def _locks_held_elsewhere(conn: Conn) -> int:
    """Locks other sessions hold (a round left open, a session lock): none once a job is over."""
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_locks WHERE pid <> pg_backend_pid()"
        " AND (locktype = 'advisory' OR (locktype = 'relation' AND relation = ANY ("
        "'{notify_messages,notify_channels}'::regclass[])))"
    ).fetchone()
    assert row is not None
    return int(row["n"])


async def test_one_job_sends_many_lines_heads_at_once_over_few_connections(
    conn: Conn, pool: AsyncConnectionPool[Any], hold: Hold, clock: ClockSeam
) -> None:
    """Sends overlap, up to SEND_CONCURRENCY at a time: counted at the receiver (requests in
    its hands at once), not inferred from how long a loaded machine took."""
    count = 6 * deliver.SEND_CONCURRENCY
    channel_id, rotations = await _lines(conn, pool, clock, hold.url, count)
    assert await deliver_backlog(pool, channel_id, rotations[0]) == count
    edges = sorted([(h.began, 1) for h in hold.hits] + [(h.ended, -1) for h in hold.hits])
    at_once = max(itertools.accumulate(step for _, step in edges))
    assert 1 < at_once <= deliver.SEND_CONCURRENCY, at_once
    assert {m["status"] for m in messages(conn)} == {"delivered"}
    assert sorted(hold.ids()) == sorted(f"msg_{m['id'].hex}" for m in messages(conn))
    assert len({h.port for h in hold.hits}) <= deliver.SEND_CONCURRENCY, "connections not reused"
    assert _locks_held_elsewhere(conn) == 0


async def test_each_line_sends_one_message_at_a_time_in_order(
    conn: Conn, pool: AsyncConnectionPool[Any], hold: Hold, clock: ClockSeam
) -> None:
    channel_id, rotations = await _lines(conn, pool, clock, hold.url, 6, per_line=3)
    assert await deliver_backlog(pool, channel_id, rotations[0]) == 18
    by_id = {h.message_id: h for h in hold.hits}
    for rot in rotations:
        line = [m for m in messages(conn) if m["rotation_id"] == rot]
        hits = [by_id[f"msg_{m['id'].hex}"] for m in line]
        for earlier, later in itertools.pairwise(hits):
            assert earlier.ended <= later.began, "a line had two messages in flight or out of order"


async def test_two_jobs_share_the_backlog_and_send_each_message_once(
    conn: Conn, pool: AsyncConnectionPool[Any], hold: Hold, clock: ClockSeam
) -> None:
    count = 2 * deliver.BATCH_LINES + 8
    channel_id, rotations = await _lines(conn, pool, clock, hold.url, count, per_line=2)
    made = await asyncio.gather(
        deliver_backlog(pool, channel_id, rotations[0]),
        deliver_backlog(pool, channel_id, rotations[-1]),
    )
    assert sum(made) == 2 * count and min(made) > 0, made
    ids = hold.ids()
    assert len(ids) == len(set(ids)) == 2 * count
    assert {m["status"] for m in messages(conn)} == {"delivered"}


async def test_a_job_stopped_mid_send_unlocks_its_lines_and_leaves_them_pending(
    conn: Conn, pool: AsyncConnectionPool[Any], hold: Hold, clock: ClockSeam
) -> None:
    channel_id, rotations = await _lines(conn, pool, clock, hold.url, 5)
    job = asyncio.create_task(deliver_backlog(pool, channel_id, rotations[0]))
    await asyncio.to_thread(hold.entered.wait, 5)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert _locks_held_elsewhere(conn) == 0
    assert {m["status"] for m in messages(conn)} == {"pending"}
    assert await deliver_backlog(pool, channel_id, rotations[0]) == 5
    assert {m["status"] for m in messages(conn)} == {"delivered"}


async def test_a_round_of_failures_records_each_retry_and_the_channel_streak_once(
    conn: Conn, pool: AsyncConnectionPool[Any], hold: Hold, clock: ClockSeam
) -> None:
    hold.status = 503
    channel_id, rotations = await _lines(conn, pool, clock, hold.url, 4)
    assert await deliver_line(pool, channel_id, rotations[0]) == 1
    assert await deliver_backlog(pool, channel_id, rotations[1]) == 3
    rows = messages(conn)
    assert {m["status"] for m in rows} == {"pending"} and {m["attempts"] for m in rows} == {1}
    assert all(m["next_attempt_at"] > clock.now() for m in rows)
    channel = conn.execute(
        "SELECT failing_since, last_error, disabled_at FROM notify_channels WHERE id = %s",
        (channel_id,),
    ).fetchone()
    assert channel == {"failing_since": clock.now(), "last_error": "HTTP 503", "disabled_at": None}


def test_a_channel_is_disabled_only_if_a_round_never_reached_it_after_a_days_failures() -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    day_ago = now - policy.FAILURE_LIMIT
    reached, failing, fresh = UUID(int=1), UUID(int=2), UUID(int=3)
    attempts = [
        (reached, False, day_ago),
        (reached, True, day_ago),
        (failing, False, day_ago),
        (failing, False, day_ago),
        (fresh, False, None),
    ]
    assert policy.channels_to_disable(attempts, now) == {failing}
    assert policy.channels_to_disable(attempts, now - timedelta(seconds=1)) == set()


def _overlapping(hits: list[Hit]) -> bool:
    spans = sorted((h.began, h.ended) for h in hits)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


async def test_while_rotation_jobs_stay_busy_a_round_sends_one_line_only(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    hold: Hold,
    clock: ClockSeam,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deliver, "YIELD_LIMIT", 0.2)
    monkeypatch.setattr(deliver, "YIELD_PAUSE", 0.1)
    channel_id, rotations = await _lines(conn, pool, clock, hold.url, 4)
    conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
        " VALUES ('rotations', 'update_rotations', '{}')"
    )
    assert await deliver_backlog(pool, channel_id, rotations[0]) == 4
    assert not _overlapping(hold.hits), "sent several at once while handoffs were busy"
    conn.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'rotations'")
    more_channel, more = await _lines(conn, pool, clock, hold.url, 4, name="more")
    hold.hits.clear()
    assert await deliver_backlog(pool, more_channel, more[0]) == 4
    assert _overlapping(hold.hits)
