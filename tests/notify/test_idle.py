"""An idle outbox costs the same however much it has sent: the worker's sweep and reminder
pass read only the partial and due indexes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import procrastinate
import pytest
from psycopg_pool import AsyncConnectionPool

from engine.helpers import traced
from handoff.notify.sweep import NotifySweep
from handoff.store.db import connect
from handoff.store.queries import Queries

from .helpers import Conn, slack_channel

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
    slack_channel(conn)
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
    plan = _plan(conn.info.dsn, DELIVERY["outlook"], {})
    assert "Seq Scan on notify_messages" not in plan and "Seq Scan on notify_reminders" not in plan
    plan = _plan(conn.info.dsn, REMINDERS["claim_due"], {"limit": 100, "lease": "60 seconds"})
    assert "notify_reminders_due_idx" in plan and "Seq Scan on notify_reminders" not in plan
    assert "rows=0" in plan.splitlines()[0]


async def test_an_idle_sweep_pass_is_one_statement_per_index(
    conn: Conn, db_url: str, tmp_path: Path
) -> None:
    """Nothing pending, no reminder due: a pass of every worker's notification sweep (each
    second) is one statement, with no transaction around it; with a message pending, it looks
    at the lines too."""
    slack_channel(conn)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector())  # never opened

    async def one_pass(pool: AsyncConnectionPool[Any]) -> None:
        sweep = NotifySweep(pool, app)
        sweep._last_stalled_scan = sweep._last_purge = time.monotonic()  # not due this pass
        await sweep.sweep()

    sent = await traced(db_url, tmp_path / "sweep.trace", one_pass)
    assert len(sent) == 1, sent
    conn.execute(
        "INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload)"
        " SELECT id, gen_random_uuid(), 'rotation.oncall_changed', now(), '{}'"
        " FROM notify_channels"
    )
    assert len(await traced(db_url, tmp_path / "pending.trace", one_pass)) == 2
