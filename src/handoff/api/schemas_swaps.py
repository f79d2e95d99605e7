"""Bodies of the swaps routes (people.md, "Swaps")."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from handoff.api.schemas import Request
from handoff.api.types import Instant, MultiLine, UtcTime
from handoff.store import swaps

Note = Annotated[MultiLine, Field(max_length=swaps.MAX_NOTE)]


class SwapIn(Request):
    """A request for cover of [start, end) of the requester's own shifts. The requester is
    the caller's person; an admin may name `requester_id`."""

    start: Instant
    end: Instant
    note: Note = ""
    requester_id: UUID | None = None


class SwapTake(Request):
    """The taker is the caller's person; an admin may name `user_id`."""

    user_id: UUID | None = None


class Swap(BaseModel):
    id: UUID
    rotation_id: UUID
    rotation_name: str
    requester_id: UUID
    requester_name: str
    start: UtcTime
    end: UtcTime
    note: str
    status: Literal["open", "taken", "cancelled", "expired"]
    taker_id: UUID | None
    taker_name: str | None
    override_id: UUID | None
    created_at: UtcTime
    updated_at: UtcTime


class SwapPage(BaseModel):
    items: list[Swap]
    next_cursor: str | None
