"""The create/edit form: what a person typed, read into the store's types with messages per field.

`start` is typed as a wall-clock time in the rotation's own time zone (an <input
type=datetime-local>), because that is how people think of "Monday 09:00 Berlin". Validation of
the grid is the store's (`rotations.check_grid`, the same check as the API's preview), so the
messages next to each field are the ones the API gives.

The create form also lists participants: one `participant` picker per slot, in order (a blank
one is left out, the same person may fill several), changed without script by submit buttons
named `action` ("add", "up-2", "down-0", "remove-1") that re-render the form instead of saving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from handoff import hours
from handoff.grid import Grid
from handoff.rotation import RuleError, check_participant_count
from handoff.store import rotations
from handoff.store.errors import Invalid

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# Stand-ins for fields that did not parse, so the other fields can still be checked.
_STAND_IN_LENGTH = 1
_STAND_IN_START = datetime(2000, 1, 1)
GRID_FIELDS = ("type", "shift_length", "start", "time_zone")
FIELDS = ("name", "description", *GRID_FIELDS, "active", "active_custom", "turns")
_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
# The form's presets of active hours (hours.md), by the value its select posts; "custom" reads
# the lines of `active_custom` ("mon-fri 09:00-17:00", one window a line).
PRESETS: dict[str, tuple[str, list[dict[str, object]] | None]] = {
    "always": ("Always", None),
    "business": (
        "Business hours, Mon-Fri 09-17",
        [{"days": _WEEKDAYS, "from": "09:00", "to": "17:00"}],
    ),
    "weekdays": ("Weekdays, all day", [{"days": _WEEKDAYS, "from": "00:00", "to": "24:00"}]),
    "nights": ("Nights, Mon-Fri 17-09", [{"days": _WEEKDAYS, "from": "17:00", "to": "09:00"}]),
    "weekends": ("Weekends", [{"days": ["sat", "sun"], "from": "00:00", "to": "24:00"}]),
}
CREATE_FIELDS = (*FIELDS, "participants")
_ACTION = re.compile(r"(up|down|remove)-([0-9]{1,6})")
T = TypeVar("T")


@dataclass
class RotationForm:
    name: str = ""
    description: str = ""
    type: str = "weekly"
    shift_length: str = "1"
    start: str = ""
    time_zone: str = "UTC"
    active: str = "always"  # a key of PRESETS, or "custom"
    active_custom: str = ""
    turns: str = "active"
    # The create form's participant pickers, in order: user ids as posted, "" for a blank one.
    participants: list[str] = field(default_factory=lambda: [""])
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: FormData) -> RotationForm:
        values = {name: form.get(name) for name in FIELDS}
        texts = {k: v.strip() for k, v in values.items() if isinstance(v, str)}
        picked = [v.strip() for v in form.getlist("participant") if isinstance(v, str)]
        return cls(
            name=texts.get("name", ""),
            description=texts.get("description", ""),
            type=texts.get("type", ""),
            shift_length=texts.get("shift_length", ""),
            start=texts.get("start", ""),
            time_zone=texts.get("time_zone", ""),
            active=texts.get("active", "always"),
            active_custom=texts.get("active_custom", ""),
            turns=texts.get("turns", "active"),
            participants=picked,
        )

    @classmethod
    def from_rotation(cls, rotation: rotations.Rotation) -> RotationForm:
        try:
            local = rotation.start.astimezone(ZoneInfo(rotation.time_zone))
        except (KeyError, ValueError, OSError):
            local = rotation.start.astimezone(UTC)
        preset = next((k for k, (_, v) in PRESETS.items() if v == rotation.active_hours), None)
        custom = "\n".join(
            f"{','.join(w['days'])} {w['from']}-{w['to']}"  # type: ignore[arg-type]
            for w in rotation.active_hours or []
        )
        return cls(
            name=rotation.name,
            description=rotation.description,
            type=rotation.type,
            shift_length=str(rotation.shift_length),
            start=local.strftime(LOCAL_FORMAT),
            time_zone=rotation.time_zone,
            active=preset or "custom",
            active_custom="" if preset else custom,
            turns=rotation.turns,
        )

    def add_errors(self, exc: Invalid) -> None:
        for error in exc.errors:
            name = error.field.split(".")[0]  # "participants.2": the list's field
            if name.startswith("active_hours"):  # "active_hours[1].from": the custom windows
                name = "active_custom"
                error = replace(error, message=f"{error.field}: {error.message}")
            key = name if name in CREATE_FIELDS else "form"
            self.errors.setdefault(key, error.message)

    def change_list(self, action: str, limit: int) -> None:
        """Apply a list button: add a blank picker, move one up or down, or remove one.

        A stale index (the list changed in another tab) changes nothing.
        """
        slots = self.participants
        if action == "add":
            if len(slots) < limit:
                slots.append("")
            else:
                self.errors["participants"] = f"at most {limit} participants"
            return
        matched = _ACTION.fullmatch(action)
        if matched is None:
            return
        verb, i = matched.group(1), int(matched.group(2))
        if verb == "remove" and i < len(slots):
            del slots[i]
        elif verb == "up" and 0 < i < len(slots):
            slots[i - 1], slots[i] = slots[i], slots[i - 1]
        elif verb == "down" and i + 1 < len(slots):
            slots[i], slots[i + 1] = slots[i + 1], slots[i]

    def chosen(self, known: set[UUID], limit: int) -> list[UUID] | None:
        """The people picked, in order (blank pickers left out), or None with a message."""
        try:
            people = [UUID(slot) for slot in self.participants if slot]
        except ValueError:
            people = None
        if people is None or any(p not in known for p in people):
            self.errors["participants"] = "choose people from the list"
            return None
        try:
            check_participant_count(len(people), limit)
        except RuleError as exc:
            self.errors["participants"] = str(exc)
            return None
        return people

    def _zone(self) -> ZoneInfo:
        """The zone to read `start` in; UTC while the zone is invalid (check_grid reports it)."""
        try:
            return ZoneInfo(self.time_zone)
        except (KeyError, ValueError, OSError):
            return ZoneInfo("UTC")

    def grid(self) -> Grid | None:
        """The grid the form describes, or None with `errors` filled in for each bad field.

        A length or start that does not parse is reported as such, and the store's check still
        runs on the other fields (with a stand-in value) so every wrong field gets its message.
        """
        length = _whole_number(self.shift_length)
        if length is None:
            self.errors["shift_length"] = "must be a whole number"
        local = _local_time(self.start)
        if local is None:
            self.errors["start"] = "enter a date and a time"
        try:
            grid = rotations.check_grid(
                self.type,
                _STAND_IN_LENGTH if length is None else length,
                (local or _STAND_IN_START).replace(tzinfo=self._zone()),
                self.time_zone,
            )
        except Invalid as exc:
            self.add_errors(exc)
            return None
        return None if any(f in self.errors for f in GRID_FIELDS) else grid

    def active_hours(self) -> list[dict[str, object]] | None:
        """The chosen preset's windows or the custom lines' (the store checks them); an
        unreadable line is reported on the field."""
        if self.active != "custom":
            return PRESETS.get(self.active, PRESETS["always"])[1]
        found = []
        for line in self.active_custom.splitlines():
            if not line.strip():
                continue
            try:
                found.append(hours.parse_spec(line))
            except hours.HoursError as exc:
                self.errors["active_custom"] = exc.faults[0][1]
        if not found and "active_custom" not in self.errors:
            self.errors["active_custom"] = "enter at least one window, such as mon-fri 09:00-17:00"
        return found

    def config(self) -> rotations.Config | None:
        grid = self.grid()
        windows = self.active_hours()
        if grid is None or "active_custom" in self.errors:
            return None
        return rotations.Config(
            name=self.name,
            description=self.description,
            type=self.type,
            shift_length=grid.shift_length,
            start=grid.start,
            time_zone=self.time_zone,
            active_hours=windows,
            turns=self.turns,
        )


def _whole_number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _local_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, LOCAL_FORMAT)
    except ValueError:
        return None
