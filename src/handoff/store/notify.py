"""Channels, rotation subscriptions, reminder settings and the deliveries list (notify.md).

A webhook channel's signing key is written once and read only by the sender: every reader
here selects the channel without it, so no API answer or CLI output can show it. The secret
text (`whsec_...`) is returned by `handoff.notify.channels`' create_channel and
rotate_secret alone, which check what a user sends (the targets' form and where they resolve)
before these statements write it: the store does no lookups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row

from handoff.store import lookup, text
from handoff.store.errors import Conflict, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("notify")
MAX_NAME = 200
MAX_TARGET = 2000
MAX_BEFORE_MINUTES = 10080
STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class Channel:
    id: UUID
    name: str
    kind: str
    target: str
    created_at: datetime
    disabled_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: UUID
    rotation_id: UUID
    channel_id: UUID
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reminder:
    id: UUID
    user_id: UUID
    channel_id: UUID
    before_minutes: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    id: UUID
    seq: int
    channel_id: UUID
    rotation_id: UUID | None
    event_type: str
    event_at: datetime
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    attempt_list: list[dict[str, Any]] = field(default_factory=list)


async def insert_channel(
    conn: AsyncConnection[Any], name: str, kind: str, target: str, secret: bytes | None
) -> Channel:
    """Write a new channel, checked by its caller (`handoff.notify.channels`)."""
    try:
        async with conn.transaction(), conn.cursor(row_factory=class_row(Channel)) as cur:
            await cur.execute(
                Q["insert_channel"],
                {"name": name, "kind": kind, "target": target, "secret": secret},
            )
            channel = await cur.fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"a channel named {name!r} already exists") from None
    assert channel is not None
    return channel


def check_name(name: str) -> str:
    return text.check("name", name, min_length=1, max_length=MAX_NAME, strip=True)


def check_target_text(target: str) -> str:
    return text.check("target", target, min_length=1, max_length=MAX_TARGET, strip=True)


async def list_channels(conn: AsyncConnection[Any]) -> list[Channel]:
    async with conn.cursor(row_factory=class_row(Channel)) as cur:
        await cur.execute(Q["list_channels"])
        return await cur.fetchall()


async def get_channel(conn: AsyncConnection[Any], channel_id: UUID) -> Channel:
    async with conn.cursor(row_factory=class_row(Channel)) as cur:
        await cur.execute(Q["get_channel"], {"id": channel_id})
        channel = await cur.fetchone()
    if channel is None:
        raise NotFound("channel", channel_id)
    return channel


async def find_channel(conn: AsyncConnection[Any], ref: str) -> Channel:
    """A channel by id or by name (store.lookup: any case, suggestions): the CLI's way of
    naming one."""
    try:
        return await get_channel(conn, UUID(ref))
    except ValueError:
        pass
    text.check("channel", ref, max_length=MAX_NAME)
    return await get_channel(conn, await lookup.by_name(conn, "channel", ref))


async def write_channel(
    conn: AsyncConnection[Any],
    channel_id: UUID,
    *,
    name: str | None,
    target: str | None,
    enabled: bool | None,
) -> Channel:
    """Write a channel's name, target or whether it is enabled (None: unchanged), checked by
    its caller (`handoff.notify.channels`)."""
    try:
        async with conn.transaction(), conn.cursor(row_factory=class_row(Channel)) as cur:
            await cur.execute(
                Q["update_channel"],
                {"id": channel_id, "name": name, "target": target, "enabled": enabled},
            )
            channel = await cur.fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"a channel named {name!r} already exists") from None
    if channel is None:
        raise NotFound("channel", channel_id)
    return channel


async def write_secret(conn: AsyncConnection[Any], channel_id: UUID, secret: bytes) -> None:
    """Replace a webhook channel's signing key."""
    async with conn.transaction():
        await conn.execute(Q["rotate_secret"], {"id": channel_id, "secret": secret})


async def delete_channel(conn: AsyncConnection[Any], channel_id: UUID) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(Q["delete_channel"], {"id": channel_id})
        if await cur.fetchone() is None:
            raise NotFound("channel", channel_id)


async def channel_for_send(conn: AsyncConnection[Any], channel_id: UUID) -> dict[str, Any]:
    """The channel with its key, for the sender only."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["channel_for_send"], {"id": channel_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFound("channel", channel_id)
    return row


async def _exists(conn: AsyncConnection[Any], query: str, what: str, ident: UUID) -> None:
    cur = await conn.execute(Q[query], {"id": ident})
    if await cur.fetchone() is None:
        raise NotFound(what, ident)


async def list_subscriptions(conn: AsyncConnection[Any], rotation_id: UUID) -> list[Subscription]:
    await _exists(conn, "rotation_exists", "rotation", rotation_id)
    async with conn.cursor(row_factory=class_row(Subscription)) as cur:
        await cur.execute(Q["list_subscriptions"], {"rotation_id": rotation_id})
        return await cur.fetchall()


Linked = TypeVar("Linked")


async def link(
    conn: AsyncConnection[Any],
    insert: str,
    made: type[Linked],
    owner: Literal["rotation", "schedule", "user"],
    owner_id: UUID,
    channel_id: UUID,
    *,
    taken: str,
    **more: object,
) -> Linked:
    """Insert a row tying a channel to its owner (a subscription, a reminder): `insert` takes
    `<owner>_id`, `channel_id` and `more`. 409 `taken` when the row exists already; 404 for
    whichever of the two is missing (the foreign key's detail names its column)."""
    try:
        async with conn.transaction(), conn.cursor(row_factory=class_row(made)) as cur:
            await cur.execute(insert, {f"{owner}_id": owner_id, "channel_id": channel_id} | more)
            found = await cur.fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict(taken) from None
    except psycopg.errors.ForeignKeyViolation as exc:
        if f"{owner}_id" in str(exc.diag.message_detail):
            raise NotFound(owner, owner_id) from None
        raise NotFound("channel", channel_id) from None
    assert found is not None
    return found


async def subscribe(
    conn: AsyncConnection[Any], rotation_id: UUID, channel_id: UUID
) -> Subscription:
    return await link(
        conn,
        Q["insert_subscription"],
        Subscription,
        "rotation",
        rotation_id,
        channel_id,
        taken="the rotation is subscribed to that channel already",
    )


async def unsubscribe(conn: AsyncConnection[Any], rotation_id: UUID, subscription_id: UUID) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(
            Q["delete_subscription"], {"id": subscription_id, "rotation_id": rotation_id}
        )
        if await cur.fetchone() is None:
            raise NotFound("subscription", subscription_id)


async def list_reminders(conn: AsyncConnection[Any], user_id: UUID) -> list[Reminder]:
    await _exists(conn, "user_exists", "user", user_id)
    async with conn.cursor(row_factory=class_row(Reminder)) as cur:
        await cur.execute(Q["list_reminders"], {"user_id": user_id})
        return await cur.fetchall()


async def add_reminder(
    conn: AsyncConnection[Any], user_id: UUID, channel_id: UUID, before_minutes: int
) -> Reminder:
    if not 0 <= before_minutes <= MAX_BEFORE_MINUTES:
        raise invalid("before_minutes", f"must be between 0 and {MAX_BEFORE_MINUTES}")
    return await link(
        conn,
        Q["insert_reminder"],
        Reminder,
        "user",
        user_id,
        channel_id,
        taken="that reminder exists already",
        before_minutes=before_minutes,
    )


async def remove_reminder(conn: AsyncConnection[Any], user_id: UUID, reminder_id: UUID) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(Q["delete_reminder"], {"id": reminder_id, "user_id": user_id})
        if await cur.fetchone() is None:
            raise NotFound("reminder", reminder_id)


async def list_messages(
    conn: AsyncConnection[Any],
    *,
    channel_id: UUID | None = None,
    rotation_id: UUID | None = None,
    status: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[Message]:
    """Messages newest first, each with its attempts."""
    check_limit(limit)
    if status is not None and status not in STATUSES:
        raise invalid("status", f"must be one of {', '.join(STATUSES)}")
    key = decode(cursor, int)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            Q["list_messages"],
            {
                "channel_id": channel_id,
                "rotation_id": rotation_id,
                "status": status,
                "before_seq": key[0] if key else None,
                "limit": limit + 1,
            },
        )
        rows = await cur.fetchall()
    messages = [
        Message(
            **{k: v for k, v in row.items() if k != "attempt_list"},
            attempt_list=_attempts(row["attempt_list"]),
        )
        for row in rows
    ]
    return page(messages, limit, lambda m: [m.seq])


def _attempts(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else list(value)


async def retry_message(conn: AsyncConnection[Any], message_id: UUID) -> None:
    """Send a message again now (it keeps its id); a delivered message is a conflict."""
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["retry_message"], {"id": message_id})
        if await cur.fetchone() is not None:
            return
        await cur.execute(Q["message_status"], {"id": message_id})
        if await cur.fetchone() is None:
            raise NotFound("delivery", message_id)
    raise Conflict("that message was delivered already")
