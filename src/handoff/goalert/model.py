"""GoAlert's rows as the importer reads them (columns of GoAlert's migrate/schema.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from handoff.rotation import Participant


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    name: str
    email: str  # GoAlert's column is NOT NULL DEFAULT '': empty means none

    def source(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email}


@dataclass(frozen=True, slots=True)
class State:
    position: int
    participant_id: UUID
    shift_start: datetime
    version: int


@dataclass(frozen=True, slots=True)
class Rotation:
    id: UUID
    name: str
    description: str
    type: str
    shift_length: int
    start: datetime
    time_zone: str
    participants: tuple[Participant, ...]  # in position order
    state: State | None

    def source(self) -> dict[str, Any]:
        """Everything imported from GoAlert's rows, as JSON: what a re-run compares with."""
        state = self.state
        return {
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "shift_length": self.shift_length,
            "start": self.start.isoformat(),
            "time_zone": self.time_zone,
            "participants": [[str(p.id), str(p.user_id)] for p in self.participants],
            "state": None
            if state is None
            else {
                "participant_id": str(state.participant_id),
                "shift_start": state.shift_start.isoformat(),
                "version": state.version,
            },
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    """GoAlert's rotations and their users, read in one snapshot at GoAlert's `now`."""

    now: datetime
    rotations: tuple[Rotation, ...]
    users: dict[UUID, User]
