"""`channel test`: one message sent now, outside the outbox, and what the receiver answered."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from handoff.notify import send, signing
from handoff.store import clock, notify


async def send_test(conn: AsyncConnection[Any], channel_id: UUID) -> send.Result:
    channel = await notify.get_channel(conn, channel_id)
    row = await notify.channel_for_send(conn, channel_id)
    now = await clock.read(conn)
    event = {
        "type": "channel.test",
        "timestamp": now.isoformat(),
        "data": {"channel": {"id": str(channel.id), "name": channel.name}},
    }
    target = send.Channel(str(channel.id), channel.kind, channel.target, row["secret"])
    return await send.attempt(target, signing.message_id(uuid.uuid4().hex), event, sent_at=now)
