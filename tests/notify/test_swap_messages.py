"""Swap messages (people.md, notify.md): written to the outbox with the swap, then delivered
to the rotation's channel signed like every message, and rendered for Slack in words."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from standardwebhooks import Webhook

from handoff.notify import render
from handoff.notify.deliver import deliver_line
from handoff.store import tokens

from .conftest import Receiver

T0 = datetime.fromisoformat("2026-03-02T09:30:00+00:00")


async def _responder(api: Any, name: str) -> tuple[str, dict[str, str]]:
    user = api.user(name)
    api.admin.patch(f"/api/v1/users/{user}", json={"role": "responder"})
    async with await AsyncConnection.connect(api.db_url, autocommit=True) as conn:
        _, secret = await tokens.create(conn, name, None, now=T0, user_id=UUID(user))
    return user, {"Authorization": f"Bearer {secret}"}


def _verified(secret: str, request: Any) -> Any:
    """The body, once its signature is checked by the Standard Webhooks library (its own
    verify() compares the header's time with the real clock; the test's clock is frozen)."""
    h = request.headers
    at = datetime.fromtimestamp(int(h["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(h["webhook-id"], at, request.body.decode())
    assert expected in h["webhook-signature"].split(" ")
    return json.loads(request.body)


async def test_swap_messages_are_signed_and_say_who_and_when(
    api: Any, receiver: Receiver, pool: AsyncConnectionPool[Any]
) -> None:
    api.clock.set(T0)
    ann, as_ann = await _responder(api, "Ann")
    bob, as_bob = await _responder(api, "Bob")
    rotation = api.rotation("payments", [ann, bob])
    made = api.admin.post(
        "/api/v1/channels", json={"name": "team", "kind": "webhook", "target": receiver.at("/h")}
    ).json()
    base = f"/api/v1/rotations/{rotation['id']}"
    api.admin.post(f"{base}/subscriptions", json={"channel_id": made["id"]})
    shifts = api.reader.get(f"{base}/shifts").json()["items"]
    start = next(s["start"] for s in shifts if s["user_id"] == ann and s["start"] > "2026-03-02T10")
    ask = {"start": start, "end": start.replace("T08:00", "T10:00"), "note": "dentist"}
    swap = api.anonymous.post(f"{base}/swaps", json=ask, headers=as_ann).json()
    taken = api.anonymous.post(f"/api/v1/swaps/{swap['id']}/take", json={}, headers=as_bob)
    assert taken.status_code == 200, taken.text
    sent = await deliver_line(pool, UUID(made["id"]), UUID(rotation["id"]), random.Random(1))
    assert sent == 2
    events = [_verified(made["secret"], r) for r in receiver.to("/h")]
    assert [e["type"] for e in events] == ["swap.requested", "swap.taken"]
    assert events[1]["data"]["taker"]["id"] == bob
    assert render.summary(events[0]) == (
        "payments: Ann asks for cover from 2026-03-04 09:00 CET to 2026-03-04 11:00 CET: dentist"
    )
    assert render.summary(events[1]) == (
        "payments: Bob takes Ann's shift from 2026-03-04 09:00 CET to 2026-03-04 11:00 CET"
    )
