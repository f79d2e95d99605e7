"""Plain-SQL setup for the notification tests: users, rotations, subscriptions, handoff rows.

Handoff rows are written with plain SQL, as any writer could: the outbox is the trigger's
doing, not the engine's. `record` and `messages` publish what is staged with the sweep's own
statement, as the next sweep would (test_outbox tests the two steps apart).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from handoff.store.queries import Queries

Q = Queries("notify_delivery")
Conn = psycopg.Connection[dict[str, Any]]


def user(conn: Conn, name: str, email: str | None = None) -> UUID:
    row = conn.execute(
        "INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id", (name, email)
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def rotation(
    conn: Conn, name: str, start: datetime, *, type: str = "hourly", time_zone: str = "UTC"
) -> UUID:
    row = conn.execute(
        "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
        " VALUES (%s, %s, 1, %s, %s) RETURNING id",
        (name, type, start, time_zone),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def slack_channel(conn: Conn) -> UUID:
    """A channel written with plain SQL (no target check): for tests that never send."""
    row = conn.execute(
        "INSERT INTO notify_channels (name, kind, target) VALUES ('s', 'slack', 'https://x.y/z')"
        " RETURNING id"
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def subscribe(conn: Conn, rotation_id: UUID, channel_id: UUID) -> None:
    conn.execute(
        "INSERT INTO notify_subscriptions (rotation_id, channel_id) VALUES (%s, %s)",
        (rotation_id, channel_id),
    )


def record(
    conn: Conn,
    rotation_id: UUID,
    changes: list[tuple[datetime, tuple[UUID, str] | None, tuple[UUID, str] | None]],
    *,
    effective: bool = True,
    published: bool = True,
) -> None:
    """Record on-call changes (at, from (id, name), to (id, name)) in one statement, and
    publish the messages it staged (unless not `published`)."""
    conn.execute(
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " from_user_id, from_user_name, to_user_id, to_user_name, effective)"
        " SELECT %s, c.at, c.at, 'boundary', 'api', c.fid, c.fname, c.tid, c.tname, %s"
        " FROM unnest(%s::timestamptz[], %s::uuid[], %s::text[], %s::uuid[], %s::text[])"
        " AS c(at, fid, fname, tid, tname)",
        (
            rotation_id,
            effective,
            [c[0] for c in changes],
            [c[1][0] if c[1] else None for c in changes],
            [c[1][1] if c[1] else None for c in changes],
            [c[2][0] if c[2] else None for c in changes],
            [c[2][1] if c[2] else None for c in changes],
        ),
    )
    if published:
        publish(conn)


def publish(conn: Conn) -> int:
    """The sweep's publishing of staged on-call changes (NotifySweep.publish), on `conn`."""
    with conn.transaction():
        row = conn.execute(Q["publish_staged"]).fetchone()
    assert row
    return int(row["published"])


def staged(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) AS n FROM notify_staged").fetchone()
    assert row
    return int(row["n"])


def messages(conn: Conn, channel_id: UUID | None = None) -> list[dict[str, Any]]:
    """The outbox's messages in order, once what is staged is published."""
    publish(conn)
    return conn.execute(
        "SELECT * FROM notify_messages WHERE %(c)s::uuid IS NULL OR channel_id = %(c)s"
        " ORDER BY seq",
        {"c": channel_id},
    ).fetchall()


def attempts(conn: Conn, message_id: UUID) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM notify_attempts WHERE message_id = %s ORDER BY id", (message_id,)
    ).fetchall()


@contextmanager
def holding_line(dsn: str, channel_id: UUID, rotation_id: UUID) -> Iterator[None]:
    """Another job's round on the line: its head message row-locked in an open transaction,
    as a delivery round holds it while it sends."""
    with psycopg.connect(dsn) as holder, holder.transaction():
        held = holder.execute(
            "SELECT m.id FROM notify_messages m WHERE m.channel_id = %s AND m.rotation_id = %s"
            " AND m.status = 'pending' ORDER BY m.seq LIMIT 1 FOR UPDATE",
            (channel_id, rotation_id),
        ).fetchone()
        assert held is not None, "the line has no pending message to hold"
        yield
