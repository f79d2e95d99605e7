"""A schedule's layer list edited one rotation at a time: add, remove, move (top first).

The CLI's `schedule layer add|remove|move` and the schedule page's layer buttons both turn one
step into the whole new list, which the store then checks and saves as a PATCH of `layers`
does. A layer is named by its rotation (once per schedule), not by its position or layer id,
which another edit may have changed meanwhile.
"""

from __future__ import annotations

from uuid import UUID

from handoff.store.errors import invalid


def _without(layers: list[UUID], rotation_id: UUID) -> list[UUID]:
    if rotation_id not in layers:
        raise invalid("rotation", "is not a layer of this schedule")
    return [r for r in layers if r != rotation_id]


def added(layers: list[UUID], rotation_id: UUID, position: int | None = None) -> list[UUID]:
    """The rotation inserted at `position` (0 is the top; default: the bottom)."""
    at = len(layers) if position is None else position
    return [*layers[:at], rotation_id, *layers[at:]]


def removed(layers: list[UUID], rotation_id: UUID) -> list[UUID]:
    return _without(layers, rotation_id)


def moved(layers: list[UUID], rotation_id: UUID, position: int) -> list[UUID]:
    """The rotation's layer at `position` among the others (clamped to the ends)."""
    rest = _without(layers, rotation_id)
    at = min(max(position, 0), len(rest))
    return [*rest[:at], rotation_id, *rest[at:]]
