"""The create/edit form: what a person typed, read into the store's types with messages per field.

`start` is typed as a wall-clock time in the rotation's own time zone (an <input
type=datetime-local>), because that is how people think of "Monday 09:00 Berlin". Validation of
the grid is the store's (`rotations.check_grid`, the same check as the API's preview), so the
messages next to each field are the ones the API gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from handoff.grid import Grid
from handoff.store import rotations
from handoff.store.errors import Invalid

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# Stand-ins for fields that did not parse, so the other fields can still be checked.
_STAND_IN_LENGTH = 1
_STAND_IN_START = datetime(2000, 1, 1)
GRID_FIELDS = ("type", "shift_length", "start", "time_zone")
FIELDS = ("name", "description", *GRID_FIELDS)


@dataclass
class RotationForm:
    name: str = ""
    description: str = ""
    type: str = "weekly"
    shift_length: str = "1"
    start: str = ""
    time_zone: str = "UTC"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: FormData) -> RotationForm:
        values = {name: form.get(name) for name in FIELDS}
        texts = {k: v.strip() for k, v in values.items() if isinstance(v, str)}
        return cls(
            name=texts.get("name", ""),
            description=texts.get("description", ""),
            type=texts.get("type", ""),
            shift_length=texts.get("shift_length", ""),
            start=texts.get("start", ""),
            time_zone=texts.get("time_zone", ""),
        )

    @classmethod
    def from_rotation(cls, rotation: rotations.Rotation) -> RotationForm:
        try:
            local = rotation.start.astimezone(ZoneInfo(rotation.time_zone))
        except (KeyError, ValueError, OSError):
            local = rotation.start.astimezone(UTC)
        return cls(
            name=rotation.name,
            description=rotation.description,
            type=rotation.type,
            shift_length=str(rotation.shift_length),
            start=local.strftime(LOCAL_FORMAT),
            time_zone=rotation.time_zone,
        )

    def add_errors(self, exc: Invalid) -> None:
        for error in exc.errors:
            key = error.field if error.field in FIELDS else "form"
            self.errors.setdefault(key, error.message)

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

    def config(self) -> rotations.Config | None:
        grid = self.grid()
        if grid is None:
            return None
        return rotations.Config(
            name=self.name,
            description=self.description,
            type=self.type,
            shift_length=grid.shift_length,
            start=grid.start,
            time_zone=self.time_zone,
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
