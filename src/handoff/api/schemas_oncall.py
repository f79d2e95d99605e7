"""Bodies of the overrides and scheduled-changes routes (oncall.md)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from handoff.api.schemas import ActiveHours, GridType, Request, ShiftLength, TimeZone, Turns
from handoff.api.types import Instant, MultiLine, UtcTime
from handoff.store import changes, overrides

Note = Annotated[MultiLine, Field(max_length=overrides.MAX_NOTE)]
Position = Annotated[int, Field(ge=0, le=1_000_000)]


class OverrideIn(Request):
    """`user_id: null` means nobody is on call; with `replaces_user_id`, the override applies
    only while the rotation's own on-call person is that user."""

    start: Instant
    end: Instant
    user_id: UUID | None
    replaces_user_id: UUID | None = None
    note: Note = ""


class OverridePatch(Request):
    """Absent fields stay. A future override can change anything; one in force only its `end`
    (not to the past) and `note`; an ended one nothing (409)."""

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
    rotation_id: UUID
    start: UtcTime
    end: UtcTime
    user_id: UUID | None
    replaces_user_id: UUID | None
    note: str
    created_at: UtcTime
    updated_at: UtcTime


class OverridePage(BaseModel):
    items: list[Override]
    next_cursor: str | None


class ChangeFields(Request):
    """The fields of a PATCH the change applies at `effective_at` (at least one);
    `participants` replaces the list."""

    type: GridType | None = None
    shift_length: ShiftLength | None = None
    start: Instant | None = None
    time_zone: TimeZone | None = None
    participants: list[UUID] | None = None
    active_index: Position | None = None
    active_hours: ActiveHours = None  # null sets always; absent leaves the hours
    turns: Turns | None = None

    def fields(self) -> changes.Fields:
        given = self.model_dump()
        if "active_hours" in self.model_fields_set and self.active_hours is None:
            given["active_hours"] = changes.ALWAYS
        return changes.Fields(**given)


class ChangeIn(Request):
    effective_at: Instant
    changes: ChangeFields
    note: Note = ""


class ChangePatch(Request):
    """Absent fields stay; `changes`, when sent, replaces the change's fields as a whole."""

    effective_at: Instant | None = None
    changes: ChangeFields | None = None
    note: Note | None = None


class ChangesOut(BaseModel):
    """Only the fields the change sets appear."""

    type: GridType | None = None
    shift_length: int | None = None
    start: UtcTime | None = None
    time_zone: str | None = None
    participants: list[UUID] | None = None
    active_index: int | None = None
    active_hours: list[dict[str, Any]] | str | None = Field(
        default=None, description="The windows it sets; null: it sets always active."
    )
    turns: Turns | None = None

    # Unannotated on purpose: an annotated return type would replace the fields in the
    # OpenAPI document with a bare object.
    @model_serializer(mode="wrap")
    def _given_only(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        given = {k: v for k, v in handler(self).items() if v is not None}
        if given.get("active_hours") == changes.ALWAYS:
            given["active_hours"] = None  # the API's null: it sets always active
        return given


class Change(BaseModel):
    id: UUID
    rotation_id: UUID
    effective_at: UtcTime
    changes: ChangesOut
    note: str
    applied_at: UtcTime | None
    skipped: str | None = Field(description="What could not be applied, if anything.")
    created_at: UtcTime
    updated_at: UtcTime


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str | None


def change_out(change: changes.Change) -> Change:
    return Change(
        id=change.id,
        rotation_id=change.rotation_id,
        effective_at=change.effective_at,
        changes=ChangesOut.model_validate(change.changes, from_attributes=True),
        note=change.note,
        applied_at=change.applied_at,
        skipped=change.skipped,
        created_at=change.created_at,
        updated_at=change.updated_at,
    )
