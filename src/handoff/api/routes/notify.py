"""/api/v1/channels, subscriptions, reminders and deliveries (notify.md).

Admins write; readers read everything but secrets, which no answer carries except the one
creating a webhook channel and the one rotating its secret.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from handoff.api.auth import ADMIN, READER, SELF_OR_ADMIN, reader
from handoff.api.deps import Conn
from handoff.api.problems import responses
from handoff.api.routes import notify_schemas as s
from handoff.api.routes.params import Cursor, Limit
from handoff.notify import channels
from handoff.notify.probe import send_test
from handoff.notify.signing import message_id
from handoff.notify.targets import redacted
from handoff.store import notify, tokens
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1", tags=["notifications"])
CHANNEL = "/channels/{channel_id}"


def _channel(channel: notify.Channel, token: tokens.Token | None = None) -> s.Channel:
    """The channel as `token` may see it: readers get its target redacted."""
    out = s.Channel.model_validate(channel, from_attributes=True)
    if token is not None and token.role != "admin":
        out.target = redacted(channel.kind, channel.target)
    return out


Token = Annotated[tokens.Token, Depends(reader)]


@router.post(
    "/channels", status_code=201, dependencies=ADMIN, responses=responses(401, 403, 409, 413, 422)
)
async def create_channel(body: s.ChannelIn, conn: Conn) -> s.ChannelCreated:
    """Create a channel; a webhook's answer carries its secret, the only time it is shown."""
    channel, secret = await channels.create_channel(conn, body.name, body.kind, body.target)
    return s.ChannelCreated(**_channel(channel).model_dump(), secret=secret)


@router.get("/channels", dependencies=READER, responses=responses(401))
async def list_channels(conn: Conn, token: Token) -> s.ChannelList:
    """Every channel, by name (a reader sees only the scheme and host of a URL target)."""
    return s.ChannelList(items=[_channel(c, token) for c in await notify.list_channels(conn)])


@router.get(CHANNEL, dependencies=READER, responses=responses(401, 404, 422))
async def get_channel(channel_id: UUID, conn: Conn, token: Token) -> s.Channel:
    """One channel (a reader sees only the scheme and host of a URL target)."""
    return _channel(await notify.get_channel(conn, channel_id), token)


@router.patch(CHANNEL, dependencies=ADMIN, responses=responses(401, 403, 404, 409, 413, 422))
async def update_channel(channel_id: UUID, body: s.ChannelPatch, conn: Conn) -> s.Channel:
    """Rename, retarget, disable (`enabled: false`) or re-enable a channel."""
    return _channel(
        await channels.update_channel(
            conn, channel_id, name=body.name, target=body.target, enabled=body.enabled
        )
    )


@router.delete(
    CHANNEL,
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def delete_channel(channel_id: UUID, conn: Conn) -> None:
    """Delete a channel with its subscriptions, reminders and messages."""
    await notify.delete_channel(conn, channel_id)


@router.post(
    CHANNEL + "/rotate-secret", dependencies=ADMIN, responses=responses(401, 403, 404, 409, 422)
)
async def rotate_secret(channel_id: UUID, conn: Conn) -> s.SecretOut:
    """A new signing secret for a webhook channel, shown this once; the old one stops now."""
    return s.SecretOut(secret=await channels.rotate_secret(conn, channel_id))


@router.post(CHANNEL + "/test", dependencies=ADMIN, responses=responses(401, 403, 404, 422))
async def test_channel(channel_id: UUID, conn: Conn) -> s.TestResult:
    """Send a test message now and say what the receiver answered."""
    result = await send_test(conn, channel_id)
    return s.TestResult(
        delivered=result.status is not None and 200 <= result.status < 300,
        status_code=result.status,
        error=result.error,
    )


SUBSCRIPTIONS = "/rotations/{rotation_id}/subscriptions"


@router.get(SUBSCRIPTIONS, dependencies=READER, responses=responses(401, 404, 422))
async def list_subscriptions(rotation_id: UUID, conn: Conn) -> s.SubscriptionList:
    """The channels told about this rotation's on-call changes."""
    found = await notify.list_subscriptions(conn, rotation_id)
    return s.SubscriptionList(
        items=[s.Subscription.model_validate(x, from_attributes=True) for x in found]
    )


@router.post(
    SUBSCRIPTIONS,
    status_code=201,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def subscribe(rotation_id: UUID, body: s.SubscriptionIn, conn: Conn) -> s.Subscription:
    """Tell a channel about every on-call change of this rotation."""
    found = await notify.subscribe(conn, rotation_id, body.channel_id)
    return s.Subscription.model_validate(found, from_attributes=True)


@router.delete(
    SUBSCRIPTIONS + "/{subscription_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def unsubscribe(rotation_id: UUID, subscription_id: UUID, conn: Conn) -> None:
    """Stop telling the channel (messages already written are still sent)."""
    await notify.unsubscribe(conn, rotation_id, subscription_id)


REMINDERS = "/users/{user_id}/reminders"


@router.get(REMINDERS, dependencies=READER, responses=responses(401, 404, 422))
async def list_reminders(user_id: UUID, conn: Conn) -> s.ReminderList:
    """The user's reminder settings."""
    found = await notify.list_reminders(conn, user_id)
    return s.ReminderList(items=[s.Reminder.model_validate(x, from_attributes=True) for x in found])


@router.post(
    REMINDERS,
    status_code=201,
    dependencies=SELF_OR_ADMIN,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def add_reminder(user_id: UUID, body: s.ReminderIn, conn: Conn) -> s.Reminder:
    """Remind the user `before_minutes` before each of their shifts, through the channel."""
    found = await notify.add_reminder(conn, user_id, body.channel_id, body.before_minutes)
    return s.Reminder.model_validate(found, from_attributes=True)


@router.delete(
    REMINDERS + "/{reminder_id}",
    status_code=204,
    response_class=Response,
    dependencies=SELF_OR_ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def remove_reminder(user_id: UUID, reminder_id: UUID, conn: Conn) -> None:
    """Remove a reminder setting."""
    await notify.remove_reminder(conn, user_id, reminder_id)


def _delivery(message: notify.Message) -> s.Delivery:
    return s.Delivery(
        id=message.id,
        webhook_id=message_id(message.id.hex),
        channel_id=message.channel_id,
        rotation_id=message.rotation_id,
        type=message.event_type,
        event=message.payload,
        status=message.status,  # type: ignore[arg-type]
        next_attempt_at=message.next_attempt_at if message.status == "pending" else None,
        created_at=message.created_at,
        delivered_at=message.delivered_at,
        last_error=message.last_error,
        attempts=[s.Attempt.model_validate(a) for a in message.attempt_list],
    )


@router.get("/deliveries", dependencies=READER, responses=responses(401, 422))
async def list_deliveries(
    conn: Conn,
    channel_id: Annotated[UUID | None, Query(description="Messages to this channel.")] = None,
    rotation_id: Annotated[UUID | None, Query(description="Messages about this rotation.")] = None,
    status: Annotated[
        Literal["pending", "delivered", "failed"] | None,
        Query(description="Messages in this state."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> s.DeliveryPage:
    """Messages newest first, each with its attempts."""
    found = await notify.list_messages(
        conn,
        channel_id=channel_id,
        rotation_id=rotation_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return s.DeliveryPage(items=[_delivery(m) for m in found.items], next_cursor=found.next_cursor)


@router.post(
    "/deliveries/{delivery_id}/retry",
    status_code=202,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 422),
)
async def retry_delivery(delivery_id: UUID, conn: Conn) -> None:
    """Send a failed or waiting message again now, with its id and body; a delivered one is 409."""
    await notify.retry_message(conn, delivery_id)
