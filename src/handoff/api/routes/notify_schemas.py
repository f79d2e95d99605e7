"""Bodies of the notification routes (notify.md). No schema here has a field for a secret
except the two answers that show one once (ChannelCreated, SecretOut)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from handoff.api.schemas import Name, Request
from handoff.api.types import SingleLine, UtcTime
from handoff.store import notify

Kind = Literal["webhook", "slack", "email"]
Target = Annotated[SingleLine, Field(min_length=1, max_length=notify.MAX_TARGET)]


class ChannelIn(Request):
    name: Name
    kind: Kind
    target: Target = Field(description="An http(s) URL (webhook, slack) or an email address.")


class ChannelPatch(Request):
    """Absent fields stay; `enabled: true` re-enables a disabled channel and sends what is
    still pending."""

    name: Name | None = None
    target: Target | None = None
    enabled: bool | None = None


class Channel(BaseModel):
    id: UUID
    name: str
    kind: Kind
    target: str
    created_at: UtcTime
    disabled_at: UtcTime | None
    last_error: str | None


class ChannelCreated(Channel):
    secret: str | None = Field(
        description="A webhook's signing secret (`whsec_...`): shown this once, never again."
    )


class ChannelList(BaseModel):
    items: list[Channel]


class SecretOut(BaseModel):
    secret: str


class TestResult(BaseModel):
    delivered: bool
    status_code: int | None
    error: str | None


class SubscriptionIn(Request):
    channel_id: UUID


class Subscription(BaseModel):
    id: UUID
    rotation_id: UUID
    channel_id: UUID
    created_at: UtcTime


class SubscriptionList(BaseModel):
    items: list[Subscription]


class ReminderIn(Request):
    channel_id: UUID
    before_minutes: Annotated[int, Field(ge=0, le=notify.MAX_BEFORE_MINUTES)]


class Reminder(BaseModel):
    id: UUID
    user_id: UUID
    channel_id: UUID
    before_minutes: int
    created_at: UtcTime


class ReminderList(BaseModel):
    items: list[Reminder]


class Attempt(BaseModel):
    at: datetime
    outcome: Literal["delivered", "retry", "failed"]
    status_code: int | None
    error: str | None


class Delivery(BaseModel):
    id: UUID
    webhook_id: str = Field(description="The message id receivers see (`webhook-id`).")
    channel_id: UUID
    rotation_id: UUID | None
    type: str
    event: dict[str, Any] = Field(description="The message's body as sent (webhooks).")
    status: Literal["pending", "delivered", "failed"]
    next_attempt_at: UtcTime | None
    created_at: UtcTime
    delivered_at: UtcTime | None
    last_error: str | None
    attempts: list[Attempt]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None
