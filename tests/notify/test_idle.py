"""An idle outbox costs the same however much it has sent: the worker's sweep and reminder
pass read only the partial and due indexes."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.store.db import connect
from handoff.store.queries import Queries

from .helpers import Conn

DELIVERY = Queries("notify_delivery")
REMINDERS = Queries("notify_reminders")
SENT = 20_000


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


def _plan(dsn: str, query: str, params: dict[str, Any]) -> str:
    """The statement as it runs now, under EXPLAIN ANALYZE, rolled back."""
    with connect(dsn) as tx:
        rows = tx.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + query, params).fetchall()
        tx.rollback()
    return "\n".join(r["QUERY PLAN"] for r in rows)


def test_an_idle_outbox_and_idle_reminders_read_no_rows(conn: Conn) -> None:
    conn.execute(
        "INSERT INTO notify_channels (name, kind, target) VALUES ('s', 'slack', 'https://x.y/z')"
    )
    conn.execute("INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, %s) g", (SENT,))
    conn.execute(
        "INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload,"
        " status, delivered_at, finished_at)"
        " SELECT c.id, gen_random_uuid(), 'rotation.oncall_changed', now(), '{}', 'delivered',"
        " now(), now() FROM notify_channels c, generate_series(1, %s)",
        (SENT,),
    )
    conn.execute(
        "INSERT INTO notify_reminders (user_id, channel_id, before_minutes, next_check_at)"
        " SELECT u.id, c.id, 60, now() + interval '1 hour' + random() * interval '1 day'"
        " FROM users u, notify_channels c"
    )
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("ANALYZE notify_messages")
    conn.execute("ANALYZE notify_reminders")
    plan = _plan(conn.info.dsn, DELIVERY["enqueue_due"], {})
    assert "notify_messages_due_idx" in plan and "Seq Scan on notify_messages" not in plan
    plan = _plan(conn.info.dsn, DELIVERY["pending_count"], {})
    assert "Seq Scan on notify_messages" not in plan
    plan = _plan(conn.info.dsn, REMINDERS["claim_due"], {"limit": 100, "lease": "60 seconds"})
    assert "notify_reminders_due_idx" in plan and "Seq Scan on notify_reminders" not in plan
    assert "rows=0" in plan.splitlines()[0]
