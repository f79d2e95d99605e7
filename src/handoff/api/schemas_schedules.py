"""Bodies of the schedules routes (schedules.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from handoff.api.schemas import Request, TimeZone
from handoff.api.schemas_oncall import Note
from handoff.api.types import Instant, MultiLine, SingleLine, UtcTime
from handoff.schedules import MAX_LAYERS
from handoff.store import schedules

Name = Annotated[SingleLine, Field(min_length=1, max_length=schedules.MAX_NAME)]
Description = Annotated[MultiLine, Field(max_length=schedules.MAX_DESCRIPTION)]
Combine = Literal["priority", "union"]
Layers = Annotated[list[UUID], Field(min_length=1, max_length=MAX_LAYERS)]


class ScheduleIn(Request):
    """`layers`: rotation ids, top first."""

    name: Name
    description: Description = ""
    time_zone: TimeZone
    combine: Combine
    layers: Layers


class SchedulePatch(Request):
    """Absent fields stay; `layers` replaces the whole list (top first)."""

    name: Name | None = None
    description: Description | None = None
    time_zone: TimeZone | None = None
    combine: Combine | None = None
    layers: Layers | None = None


class Layer(BaseModel):
    id: UUID
    position: int
    rotation_id: UUID


class Schedule(BaseModel):
    id: UUID
    name: str
    description: str
    time_zone: str
    combine: Combine
    layers: list[Layer]
    on_call_user_ids: list[UUID]
    next_change_at: UtcTime | None
    created_at: UtcTime
    updated_at: UtcTime


class SchedulePage(BaseModel):
    items: list[Schedule]
    next_cursor: str | None


class OnCall(BaseModel):
    at: UtcTime
    user_ids: list[UUID]


class Shift(BaseModel):
    start: UtcTime
    end: UtcTime
    user_ids: list[UUID]
    rotation_id: UUID | None
    override_id: UUID | None


class Gap(BaseModel):
    start: UtcTime
    end: UtcTime


class Overlap(BaseModel):
    start: UtcTime
    end: UtcTime
    user_ids: list[UUID]


class ClockChangeWeek(BaseModel):
    start: UtcTime
    zones: list[str]


class Coverage(BaseModel):
    gaps: list[Gap]
    overlaps: list[Overlap]
    clock_change_weeks: list[ClockChangeWeek]


class HistoryItem(BaseModel):
    at: UtcTime
    processed_at: UtcTime
    cause: str
    from_user_ids: list[UUID]
    to_user_ids: list[UUID]
    rotation_id: UUID | None
    override_id: UUID | None


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None


class OverrideIn(Request):
    """schedules.md step 3: `user_id` alone adds (union) or puts on call instead (priority);
    with `replaces_user_id` it replaces that user while in the result; `replaces_user_id`
    alone removes that user; both null: nobody."""

    start: Instant
    end: Instant
    user_id: UUID | None
    replaces_user_id: UUID | None = None
    note: Note = ""


class OverridePatch(Request):
    start: Instant | None = None
    end: Instant | None = None
    user_id: UUID | None = None
    replaces_user_id: UUID | None = None
    note: Note | None = None

    def edit(self) -> dict[str, Any]:
        """The fields the client sent; null is a value only for the two user fields."""
        sent = self.model_dump(exclude_unset=True)
        return {k: v for k, v in sent.items() if v is not None or k.endswith("user_id")}


class Override(BaseModel):
    id: UUID
    schedule_id: UUID
    start: UtcTime
    end: UtcTime
    user_id: UUID | None
    replaces_user_id: UUID | None
    note: str
    created_at: UtcTime
    updated_at: UtcTime


class SubscriptionIn(Request):
    channel_id: UUID


class Subscription(BaseModel):
    id: UUID
    schedule_id: UUID
    channel_id: UUID
    created_at: UtcTime


class SubscriptionList(BaseModel):
    items: list[Subscription]
