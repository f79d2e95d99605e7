"""Channels subscribed to a schedule get `schedule.oncall_changed` (schedules.md, notify.md):
written in the transaction that records the change, signed (Standard Webhooks) and retried
with the same id as rotation messages are, delivered to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool
from standardwebhooks import Webhook

from api.conftest import Api
from api.test_overrides import _z, set_now
from handoff.notify import channels
from handoff.notify.deliver import deliver_line

from .conftest import Receiver

H = timedelta(hours=1)


async def test_a_subscribed_channel_gets_each_final_change_signed_and_retried(
    api: Api, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    set_now(api, now)  # real time: the receiver checks the signature's timestamp
    receiver.scripts["/hook"] = lambda n: (503, {}) if n == 0 else (204, {})
    async with pool.connection() as aconn:
        channel, secret = await channels.create_channel(
            aconn, "team", "webhook", receiver.at("/hook")
        )
    assert secret is not None
    ann, bo = api.user("Ann"), api.user("Bo")
    primary = api.rotation("primary", [ann])
    made = api.admin.post(
        "/api/v1/schedules",
        json={
            "name": "Payments",
            "time_zone": "UTC",
            "combine": "union",
            "layers": [primary["id"]],
        },
    )
    assert made.status_code == 201, made.text
    schedule = made.json()
    path = f"/api/v1/schedules/{schedule['id']}/subscriptions"
    subscribed = api.admin.post(path, json={"channel_id": str(channel.id)})
    assert subscribed.status_code == 201, subscribed.text
    assert api.reader.get(path).json()["items"] == [subscribed.json()]
    again = api.admin.post(path, json={"channel_id": str(channel.id)})
    assert again.status_code == 409
    # Bo joins the union now: one final change, one message in its transaction.
    added = api.admin.post(
        f"/api/v1/schedules/{schedule['id']}/overrides",
        json={"start": _z(now), "end": _z(now + H), "user_id": bo},
    )
    assert added.status_code == 201, added.text
    rows = api.sql("SELECT event_type, rotation_id, status FROM notify_messages")
    assert rows == [
        {
            "event_type": "schedule.oncall_changed",
            "rotation_id": made.json()["id"] and rows[0]["rotation_id"],
            "status": "pending",
        }
    ]
    assert str(rows[0]["rotation_id"]) == schedule["id"]
    sent = await deliver_line(pool, channel.id, rows[0]["rotation_id"], random.Random(1))
    assert sent == 1  # a 503: retried later with the same id
    set_now(api, now + timedelta(minutes=5))
    assert await deliver_line(pool, channel.id, rows[0]["rotation_id"], random.Random(1)) == 1
    got = receiver.to("/hook")
    assert [r.status for r in got] == [503, 204]
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    assert got[0].body == got[1].body
    event = Webhook(secret).verify(got[0].body, got[0].headers)
    assert event["type"] == "schedule.oncall_changed"
    data = event["data"]
    assert data["schedule"] == {"id": schedule["id"], "name": "Payments", "time_zone": "UTC"}
    assert data["cause"] == "override_started" and data["missed"] == 0
    assert [u["name"] for u in data["from_users"]] == ["Ann"]
    assert [u["name"] for u in data["to_users"]] == ["Ann", "Bo"]
    assert datetime.fromisoformat(data["at"]) == now
