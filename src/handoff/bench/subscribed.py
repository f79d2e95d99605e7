"""The subscribed storm: the storm of N with every rotation subscribed to a local webhook.

A real HTTP receiver (`Receiver`, http.server on 127.0.0.1 in a thread of the bench) answers
200 to every POST and counts the messages by their `webhook-id`. The queue engine with 2 worker
processes, started with HANDOFF_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8 so that a loopback target may be
sent to, runs the same storm twice: without subscriptions (the baseline), then with one webhook
channel and every rotation subscribed to it (set-based SQL: the store's API subscribes one
rotation per call). The handoff throughput of the second over the first is the headline; then
the bench waits for the outbox to drain and checks that every message arrived (once per
rotation at the receiver, none left pending in the outbox).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg

from handoff.bench import storm
from handoff.bench.dbwork import Meter, Source
from handoff.bench.profiles import Profile
from handoff.bench.workers import Workers
from handoff.notify import signing

PROCESSES = 2
DRAIN_POLL_SECONDS = 0.5
CHANNEL_NAME = "bench receiver"


@dataclass
class Deliveries:
    """What the receiver saw: every POST, and the distinct message ids among them."""

    posts: int = 0
    ids: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, message_id: str) -> None:
        with self.lock:
            self.posts += 1
            self.ids.add(message_id)

    def distinct(self) -> int:
        with self.lock:
            return len(self.ids)


def _handler(seen: Deliveries) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the sender may reuse its connection

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.add(self.headers.get("webhook-id") or "")
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per message would flood the bench's progress display."""

    return Handler


@contextmanager
def receiver() -> Iterator[tuple[str, Deliveries]]:
    """A webhook receiver on a free port of 127.0.0.1: (its URL, what it received)."""
    seen = Deliveries()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="bench-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


_SUBSCRIBE_ALL = """INSERT /* bench */ INTO notify_subscriptions (rotation_id, channel_id)
SELECT r.id, c.id FROM rotations r CROSS JOIN notify_channels c WHERE c.name = %(name)s"""


def subscribe_all(conn: psycopg.Connection[Any], target: str) -> None:
    """One webhook channel to `target`, and every rotation subscribed to it."""
    with conn.transaction():
        conn.execute(
            "INSERT /* bench */ INTO notify_channels (name, kind, target, secret)"
            " VALUES (%(name)s, 'webhook', %(target)s, %(secret)s)",
            {"name": CHANNEL_NAME, "target": target, "secret": signing.new_key()},
        )
        conn.execute(_SUBSCRIBE_ALL, {"name": CHANNEL_NAME})


def outbox(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Messages in the outbox by status."""
    rows = conn.execute(
        "SELECT /* bench */ status, count(*) FROM notify_messages GROUP BY status"
    ).fetchall()
    return {str(status): int(count) for status, count in rows}


@dataclass(frozen=True, slots=True)
class SubscribedResult:
    rotations: int
    baseline: storm.StormRound  # the same storm without subscriptions
    subscribed: storm.StormRound
    messages: dict[str, int]  # the outbox by status once drained (or at the drain deadline)
    received_posts: int
    received_messages: int  # distinct webhook-ids
    drain_seconds: float  # from the storm's end to the last delivery (or to the deadline)

    @property
    def throughput_ratio(self) -> float | None:
        base = self.baseline.handoffs_per_second
        return self.subscribed.handoffs_per_second / base if base else None

    @property
    def all_delivered(self) -> bool:
        """A message for each rotation's handoff arrived, and none is pending or failed."""
        return (
            self.received_messages == self.rotations
            and self.messages.get("delivered", 0) == self.rotations
            and sum(self.messages.values()) == self.rotations
        )

    def as_json(self) -> dict[str, object]:
        ratio = self.throughput_ratio
        return {
            "rotations": self.rotations,
            "worker_processes": PROCESSES,
            "baseline": self.baseline.as_json(),
            "subscribed": self.subscribed.as_json(),
            "throughput_ratio": None if ratio is None else round(ratio, 3),
            "outbox": self.messages,
            "received_posts": self.received_posts,
            "received_messages": self.received_messages,
            "all_delivered": self.all_delivered,
            "drain_seconds": round(self.drain_seconds, 1),
        }


def steps(profile: Profile) -> int:
    return 3 if profile.subscribed_size else 0


def _drain(
    conn: psycopg.Connection[Any], workers: Workers, seen: Deliveries, size: int, seconds: float
) -> float:
    """Wait until the receiver has every message and the outbox holds none pending."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if seen.distinct() >= size and outbox(conn).get("pending", 0) == 0:
            break
        workers.check_alive()
        workers.sample_rss()
        time.sleep(DRAIN_POLL_SECONDS)
    return time.monotonic() - started


def run(
    url: str, profile: Profile, source: Source, step: Callable[[str], None]
) -> SubscribedResult | None:
    size = profile.subscribed_size
    if size is None:
        return None

    def labelled(description: str) -> None:
        step(f"subscribed {description}")

    with receiver() as (target, seen), psycopg.connect(url, autocommit=True) as conn:
        with Workers(url, "queue", PROCESSES) as workers:
            baseline = storm.one_round(conn, workers, size, profile, Meter(url, source), labelled)
            subscribed = storm.one_round(
                conn,
                workers,
                size,
                profile,
                Meter(url, source),
                labelled,
                prepare=lambda c: subscribe_all(c, target),
            )
            step(f"subscribed storm: delivering {size:,} messages")
            drained = _drain(conn, workers, seen, size, profile.subscribed_drain_seconds)
        rss = workers.max_rss_mb()
        return SubscribedResult(
            size,
            replace(baseline, rss_mb=rss),
            replace(subscribed, rss_mb=rss),
            outbox(conn),
            seen.posts,
            seen.distinct(),
            drained,
        )
