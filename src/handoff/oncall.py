"""Who is on call when: the one projection of a rotation with overrides and scheduled changes.

oncall.md: the rotation's own on-call person follows its state, grid and participants
(engine.md, handoff.rotation); scheduled changes apply at their instant as a PATCH would;
overrides in force decide the effective person without moving the rotation. Pure: no I/O and
no clock (every instant is a parameter), so the API, the UI, the feeds and the engine answer
from the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

from handoff.grid import Grid, GridType


@dataclass(frozen=True, slots=True)
class Override:
    """During [start, end), `user_id` (None: nobody) is on call instead of the rotation's person.

    With `replaces_user_id` it is conditional: it applies only while the rotation's own on-call
    person is that user.
    """

    id: UUID
    start: datetime  # aware, UTC, minute-truncated
    end: datetime  # start < end
    user_id: UUID | None
    replaces_user_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """Fields a PATCH would set at `effective_at`; None leaves a field as it is."""

    id: UUID
    effective_at: datetime
    type: str | None = None
    shift_length: int | None = None
    start: datetime | None = None
    time_zone: str | None = None
    participants: tuple[UUID, ...] | None = None  # user ids, in order
    active_index: int | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """A rotation's grid fields."""

    type: str
    shift_length: int
    start: datetime
    time_zone: str

    def grid(self) -> Grid:
        """The handoff grid; raises ValueError for fields the grid refuses."""
        return Grid(cast(GridType, self.type), self.shift_length, self.start, self.time_zone)
