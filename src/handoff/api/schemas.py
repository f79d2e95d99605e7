"""Request and response bodies (pydantic v2); their JSON schemas are the OpenAPI document's."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handoff.api.types import Instant, MultiLine, SingleLine, UtcTime, Zone, ZonedStart, in_zone
from handoff.grid import MAX_SHIFT_LENGTH, MIN_SHIFT_LENGTH
from handoff.store import projections, rotations, users

GridType = Literal["hourly", "daily", "weekly", "monthly"]
ShiftLength = Annotated[int, Field(ge=MIN_SHIFT_LENGTH, le=MAX_SHIFT_LENGTH)]
# The text rules of store.text, stated for the OpenAPI document (the validators enforce them
# with a message naming the character): names have no control character (C0, DEL, C1);
# descriptions may have line feeds, tabs and CR LF line ends.
_NO_CONTROL = r"^[^\u0000-\u001f\u007f-\u009f]*$"
_LINES_AND_TABS = r"^(?:[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\r\n)*$"
Name = Annotated[
    SingleLine,
    Field(
        min_length=1,
        max_length=rotations.MAX_NAME,
        json_schema_extra={"pattern": _NO_CONTROL},
        description="One line, without control characters.",
    ),
]
Description = Annotated[
    MultiLine,
    Field(
        max_length=rotations.MAX_DESCRIPTION,
        json_schema_extra={"pattern": _LINES_AND_TABS},
        description="Text; line feeds and tabs are kept (CR LF becomes LF), no other control "
        "character.",
    ),
]
_EMAIL = r"^[^@\s\u0000-\u001f\u007f-\u009f]+@[^@\s\u0000-\u001f\u007f-\u009f]+$"
Email = Annotated[
    SingleLine,
    Field(
        min_length=users.MIN_EMAIL,
        max_length=users.MAX_EMAIL,
        pattern=_EMAIL,
        json_schema_extra={"pattern": _EMAIL},  # the validator hides `pattern` from the schema
    ),
]
TimeZone = Annotated[
    Zone,
    Field(
        min_length=1,
        max_length=64,
        examples=["Europe/Berlin"],
        description="An IANA time zone name from the tz database (legacy aliases such as "
        "US/Eastern included), not localtime, posixrules, Factory or a posix/ or right/ copy.",
    ),
]
# The API counts positions from 0; the command line and the UI show them from 1.
ZERO_BASED = "A position in the participant list, counted from 0 (the CLI and the UI count from 1)."
Count = Annotated[int, Field(ge=1, le=projections.MAX_HANDOFFS)]
Turns = Literal["active", "calendar"]
# Checked by handoff.hours, which names every window and field at fault at once (hours.md).
ActiveHours = Annotated[
    list[Any] | None,
    Field(
        description="Weekly windows [{days: ['mon'..'sun'], from: 'HH:MM', to: 'HH:MM'}] in"
        " the rotation's time zone (to <= from: the next day; to may be 24:00); null: always.",
        max_length=1000,
    ),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document; `errors` lists the fields at fault in a 422."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


class UserIn(Request):
    name: Name
    email: Email | None = Field(
        None, description="Unique ignoring case: an email another person has is a 409."
    )
    time_zone: TimeZone | None = None


class UserPatch(Request):
    """Absent fields stay; `email: null` and `time_zone: null` remove them."""

    name: Name | None = None
    email: Email | None = None
    time_zone: TimeZone | None = None
    role: Literal["admin", "responder", "reader"] | None = Field(
        None, description="null: the person cannot sign in; the last admin keeps theirs (409)."
    )


class User(BaseModel):
    id: UUID
    name: str
    email: str | None
    time_zone: str | None = Field(
        description="The person's IANA zone (reports, their page); null: the rotation's."
    )
    role: Literal["admin", "responder", "reader"] | None = Field(
        description="null: the person cannot sign in (people made by others or imported)."
    )
    created_at: UtcTime


class UserPage(BaseModel):
    items: list[User]
    next_cursor: str | None


class RotationIn(Request):
    name: Name
    description: Description = ""
    type: GridType
    shift_length: ShiftLength = 1
    start: ZonedStart
    time_zone: TimeZone
    participants: list[UUID] = []
    active_hours: ActiveHours = None
    turns: Turns = "active"

    @model_validator(mode="after")
    def _start_in_zone(self) -> Self:
        self.start = in_zone(self.start, self.time_zone)
        return self


class RotationPatch(Request):
    """Absent (or null) fields stay as they are, except `active_hours`: null sets it to
    always."""

    name: Name | None = None
    description: Description | None = None
    type: GridType | None = None
    shift_length: ShiftLength | None = None
    start: ZonedStart | None = None  # a wall time: in time_zone, else in the rotation's zone
    time_zone: TimeZone | None = None
    participants: list[UUID] | None = None
    active_index: Annotated[int, Field(ge=0, le=1_000_000)] | None = Field(
        None, description=ZERO_BASED
    )
    active_hours: ActiveHours = None
    turns: Turns | None = None


class Participant(BaseModel):
    id: UUID
    position: int = Field(description=ZERO_BASED)
    user_id: UUID


class ParticipantIn(Request):
    user_id: UUID


class Rotation(BaseModel):
    id: UUID
    name: str
    description: str
    type: GridType
    shift_length: int
    start: UtcTime
    time_zone: str
    participants: list[Participant]
    active_index: int | None = Field(description=ZERO_BASED)
    on_call_user_id: UUID | None = Field(
        description="Who is on call now: an override's person while one decides, else the"
        " rotation's own (null: nobody)."
    )
    rotation_on_call_user_id: UUID | None = Field(
        description="The rotation's own on-call person (its participant at active_index)."
    )
    override_id: UUID | None = Field(description="The override in force that decides, if any.")
    shift_start: UtcTime | None
    next_handoff: UtcTime | None
    created_at: UtcTime
    updated_at: UtcTime
    active_hours: list[dict[str, Any]] | None = Field(
        description="Weekly windows in the rotation's time zone; null: always active."
    )
    turns: Turns = Field(description="Turns counted over active units or calendar units.")
    schedule_ids: list[UUID] = Field(
        description="The schedules this rotation is a layer of (schedules.md)."
    )


class RotationPage(BaseModel):
    items: list[Rotation]
    next_cursor: str | None


class Handoff(BaseModel):
    at: UtcTime
    user_id: UUID


class Handoffs(BaseModel):
    items: list[Handoff]


class Shift(BaseModel):
    user_id: UUID | None = Field(description="Who is on call; null: nobody (an override).")
    start: UtcTime
    end: UtcTime
    override_id: UUID | None = Field(description="The override deciding who, if one does.")


class Shifts(BaseModel):
    items: list[Shift]


class HistoryEntry(BaseModel):
    boundary_at: UtcTime
    processed_at: UtcTime
    cause: str
    effective: bool = Field(description="Whether the effective on-call person changed.")
    from_user_id: UUID | None
    to_user_id: UUID | None
    override_id: UUID | None
    change_id: UUID | None
    made_by: str | None = Field(
        description="Who made the manual change (person, token, or OS user); null: the engine."
    )


class HistoryPage(BaseModel):
    items: list[HistoryEntry]
    next_cursor: str | None


class PreviewIn(Request):
    type: GridType
    shift_length: ShiftLength = 1
    start: ZonedStart
    time_zone: TimeZone
    from_: Instant | None = Field(default=None, alias="from")
    count: Count
    active_hours: ActiveHours = None
    turns: Turns = "active"

    @model_validator(mode="after")
    def _start_in_zone(self) -> Self:
        self.start = in_zone(self.start, self.time_zone)
        return self


class Interval(BaseModel):
    start: UtcTime
    end: UtcTime
    index: int = Field(description="The turn's number: 0 is the turn begun at `from`.")


class Preview(BaseModel):
    handoffs: list[UtcTime] = Field(description="The next turn passes after `from`.")
    intervals: list[Interval] = Field(
        description="On-call time until the last pass; inactive time is a gap."
    )


class OnCall(BaseModel):
    rotation_id: UUID
    user_id: UUID
    shift_start: UtcTime
    shift_end: UtcTime
    override_id: UUID | None = Field(description="The override that puts them on call, if any.")


class OnCalls(BaseModel):
    """A page of rotations' on-call entries (at most one per rotation); `next_cursor` null
    on the last page."""

    items: list[OnCall]
    next_cursor: str | None


class Worker(BaseModel):
    id: int
    host: str | None
    started_at: UtcTime
    last_seen: UtcTime


class Lag(BaseModel):
    p50: float | None
    p99: float | None


class CoolingDown(BaseModel):
    rotation_id: str
    name: str
    failed_at: UtcTime | None
    last_error: str | None = Field(description="The last failure of the rotation's update.")
    retry_at: UtcTime | None = Field(description="When the sweep takes the rotation up again.")


class Engine(BaseModel):
    mode: Literal["queue", "batch", "both", "none"]
    workers: list[Worker]
    jobs: dict[str, int] = Field(
        description="Rotation update jobs (queue `rotations`) by state; deliveries not included."
    )
    notification_jobs: dict[str, int] = Field(
        description="Notification delivery jobs (queue `notifications`) by state."
    )
    oldest_due_job_age_seconds: float = Field(
        description="Seconds since the oldest waiting rotation update job became due (0: none)."
    )
    last_reconcile_at: UtcTime | None
    last_reconcile_repairs: int | None = Field(
        description="Missed updates the last repair sweep found and re-enqueued."
    )
    handoff_lag_seconds: Lag
    cooling_down: list[CoolingDown] = Field(
        description="Rotations whose job exhausted its retries, waiting out the cool-down."
    )


class Job(BaseModel):
    id: int
    queue_name: str
    task_name: str
    status: str
    scheduled_at: UtcTime | None
    attempts: int
    rotation_ids: list[str]


class JobPage(BaseModel):
    items: list[Job]
    next_cursor: str | None


class Health(BaseModel):
    status: Literal["ok", "ready"]
