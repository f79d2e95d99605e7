"""The override and scheduled-change forms: what a person typed, read into the store's types.

Times are typed as wall-clock times in the rotation's own time zone (<input
type=datetime-local>) and resolved as the grid resolves its boundaries (`grid.wall_instant`: a
time in a DST gap is the first instant after it, a repeated time its first occurrence). Every
rule is the store's: a form only turns text into values and puts each store message next to the
field it names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from starlette.datastructures import FormData

from handoff.grid import MAX_SHIFT_LENGTH, MIN_SHIFT_LENGTH, load_zone, wall_instant
from handoff.store import changes, overrides, schedules
from handoff.store.errors import Conflict, Invalid
from handoff.web.field_errors import add_field_errors
from handoff.web.rotation_form import LOCAL_FORMAT

NOBODY = "nobody"
EXTRA_SLOTS = 3  # empty participant pickers after the listed ones, to add people without script


def zone_or_utc(time_zone: str) -> str:
    """The zone to read and write wall times in; UTC for one this server does not know."""
    try:
        load_zone(time_zone)
    except ValueError:
        return "UTC"
    return time_zone


def wall_text(instant: datetime, time_zone: str) -> str:
    """An instant as the value of a datetime-local field in the zone."""
    return instant.astimezone(load_zone(zone_or_utc(time_zone))).strftime(LOCAL_FORMAT)


def read_wall(text: str, time_zone: str) -> datetime | None:
    """A datetime-local value read on the zone's wall clock; None when it does not parse."""
    try:
        wall = datetime.strptime(text, LOCAL_FORMAT)
    except ValueError:
        return None
    return wall_instant(zone_or_utc(time_zone), wall)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@dataclass
class OverrideForm:
    start: str = ""
    end: str = ""
    user: str = ""  # a user id, or NOBODY
    replaces: str = ""  # a user id, or "" for whoever is on call
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: FormData) -> OverrideForm:
        return cls(
            start=_text(form, "start"),
            end=_text(form, "end"),
            user=_text(form, "user_id"),
            replaces=_text(form, "replaces_user_id"),
            note=_text(form, "note"),
        )

    @classmethod
    def for_shift(
        cls, start: datetime, end: datetime, now: datetime, time_zone: str
    ) -> OverrideForm:
        """Covering a shift: its start and end, or from the next minute if it has begun."""
        begin = max(start, overrides.ceil_minute(now))
        return cls(start=wall_text(begin, time_zone), end=wall_text(end, time_zone))

    @classmethod
    def from_override(
        cls, override: overrides.Override | schedules.Override, time_zone: str
    ) -> OverrideForm:
        """A rotation's override or a schedule's: the form reads the same fields of both."""
        return cls(
            start=wall_text(override.start, time_zone),
            end=wall_text(override.end, time_zone),
            user=NOBODY if override.user_id is None else str(override.user_id),
            replaces="" if override.replaces_user_id is None else str(override.replaces_user_id),
            note=override.note,
        )

    def add_errors(self, exc: Invalid) -> None:
        add_field_errors(self.errors, exc, _OVERRIDE_FIELDS)

    def draft(self, time_zone: str) -> overrides.Draft | None:
        """The override the form describes, or None with `errors` filled in for each bad field."""
        start, end = read_wall(self.start, time_zone), read_wall(self.end, time_zone)
        for name, value in (("start", start), ("end", end)):
            if value is None:
                self.errors[name] = "enter a date and a time"
        user: UUID | None = None
        if self.user != NOBODY:
            try:
                user = UUID(self.user)
            except ValueError:
                self.errors["user_id"] = "choose who is on call instead, or nobody"
        replaces: UUID | None = None
        if self.replaces:
            try:
                replaces = UUID(self.replaces)
            except ValueError:
                self.errors["replaces_user_id"] = "choose someone from the list"
        if self.errors:
            return None
        assert start is not None and end is not None
        return overrides.Draft(start, end, user, replaces, self.note)


_OVERRIDE_FIELDS = ("start", "end", "user_id", "replaces_user_id", "note")


async def save_override(
    form: OverrideForm,
    time_zone: str,
    write: Callable[[overrides.Draft], Awaitable[object]],
    frozen: overrides.Override | schedules.Override | None = None,
) -> int | None:
    """The override form's save, for a rotation's override and a schedule's alike: the form
    read in `time_zone` and handed to `write`. None once written; else the status to show the
    form again with (422, or 409 for a conflict), its errors filled in. `frozen` is an
    override in force: the form shows its start and people as stored whatever was posted (only
    its end and note may change, and `write` keeps the rest)."""
    if frozen is not None:
        kept = OverrideForm.from_override(frozen, time_zone)
        form.start, form.user, form.replaces = kept.start, kept.user, kept.replaces
    draft = form.draft(time_zone)
    if draft is None:
        return 422
    try:
        await write(draft)
    except Invalid as exc:
        form.add_errors(exc)
        return 422
    except Conflict as exc:
        form.errors["form"] = str(exc)
        return 409
    return None


@dataclass
class ChangeForm:
    effective_at: str = ""
    type: str = ""  # "": as it is
    shift_length: str = ""
    start: str = ""
    time_zone: str = ""
    set_participants: bool = False
    participants: list[str] = field(default_factory=list)  # user ids, in order
    active: str = ""  # a position counted from 1, or "" for the engine's rule
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: FormData) -> ChangeForm:
        """The list is set when asked for, or when it differs from the one the form showed
        (so picking someone is enough, with or without script)."""
        picked = [v.strip() for v in form.getlist("participants") if isinstance(v, str)]
        listed = [v for v in picked if v]
        shown = [v for v in _text(form, "participants_shown").split(",") if v]
        return cls(
            effective_at=_text(form, "effective_at"),
            type=_text(form, "type"),
            shift_length=_text(form, "shift_length"),
            start=_text(form, "start"),
            time_zone=_text(form, "time_zone"),
            set_participants=bool(_text(form, "set_participants")) or listed != shown,
            participants=listed,
            active=_text(form, "active"),
            note=_text(form, "note"),
        )

    @classmethod
    def from_change(cls, change: changes.Change, time_zone: str) -> ChangeForm:
        zone = change.time_zone or time_zone
        return cls(
            effective_at=wall_text(change.effective_at, time_zone),
            type=change.type or "",
            shift_length="" if change.shift_length is None else str(change.shift_length),
            start="" if change.start is None else wall_text(change.start, zone),
            time_zone=change.time_zone or "",
            set_participants=change.participants is not None,
            participants=[str(u) for u in change.participants or []],
            active="" if change.active_index is None else str(change.active_index + 1),
            note=change.note,
        )

    def slots(self, current: list[UUID]) -> list[str]:
        """The participant pickers: the list as typed (or the rotation's own), then blanks."""
        listed = self.participants if self.set_participants else [str(u) for u in current]
        return [*listed, *([""] * EXTRA_SLOTS)]

    def add_errors(self, exc: Invalid) -> None:
        for error in exc.errors:
            name = error.field.removeprefix("changes.")
            name = {"active_index": "active"}.get(name, name.split(".")[0])
            if name == "changes":
                name = "form"
            self.errors.setdefault(name if name in CHANGE_FIELDS else "form", error.message)

    def read(self, time_zone: str) -> tuple[datetime, changes.Fields] | None:
        """The instant and the fields the form describes, or None with `errors` filled in.

        `effective_at` is read in the rotation's zone, a new `start` in the new zone if the
        change sets one (the zone the grid will count in), else in the rotation's.
        """
        when = read_wall(self.effective_at, time_zone)
        if when is None:
            self.errors["effective_at"] = "enter a date and a time"
        length = None
        if self.shift_length:
            length = _number(self.shift_length, MIN_SHIFT_LENGTH, MAX_SHIFT_LENGTH)
            if length is None:
                self.errors["shift_length"] = (
                    f"must be a whole number from {MIN_SHIFT_LENGTH} to {MAX_SHIFT_LENGTH}"
                )
        start = None
        if self.start:
            start = read_wall(self.start, self.time_zone or time_zone)
            if start is None:
                self.errors["start"] = "enter a date and a time"
        people: list[UUID] | None = None
        if self.set_participants:
            try:
                people = [UUID(p) for p in self.participants]
            except ValueError:
                self.errors["participants"] = "choose people from the list"
        active = None
        if self.active:
            position = _number(self.active, 1, None)
            if position is None:
                self.errors["active"] = "must be a position in the list (1, 2, ...)"
            else:
                active = position - 1
        if self.errors:
            return None
        assert when is not None
        fields = changes.Fields(
            type=self.type or None,
            shift_length=length,
            start=start,
            time_zone=self.time_zone or None,
            participants=people,
            active_index=active,
        )
        return when, fields


def _number(text: str, low: int, high: int | None) -> int | None:
    """A whole number in [low, high] (the API's schema checks the same bounds), else None."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value and (high is None or value <= high) else None


CHANGE_FIELDS = (
    "effective_at",
    "type",
    "shift_length",
    "start",
    "time_zone",
    "participants",
    "active",
    "note",
)
