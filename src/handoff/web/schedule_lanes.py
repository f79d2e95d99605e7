"""The schedule page's lanes (pure): the final lane on top, one lane per layer, and the lane
of schedule overrides, drawn the way PagerDuty and Grafana OnCall draw a schedule.

Each lane is a list of segments whose widths are their share of the window; consecutive
pieces of the core's timeline with the same answer in that lane merge into one segment.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from handoff.schedules import Piece
from handoff.web import colours


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    label: str
    colour: int
    width: float  # share of the window, 0..1
    gap: bool  # nobody (a gap in the final lane)
    override: bool

    # What the timeline macro (timeline_parts.html) asks of a rotation's segments too.
    @property
    def current(self) -> bool:
        """Never marked: a rotation's page marks the shift at now, a schedule's lanes do not."""
        return False

    @property
    def nobody(self) -> bool:
        """Unlabelled, drawn grey: a stretch of the overrides lane with no override (a gap or
        an empty layer is labelled "nobody")."""
        return not self.label


@dataclass(frozen=True, slots=True)
class Lane:
    name: str
    segments: list[Segment]


def _lane(
    name: str,
    found: Sequence[Piece],
    key: Callable[[Piece], Hashable],
    people: Callable[[Piece], tuple[UUID, ...]],
    names: dict[UUID, str],
    override: Callable[[Piece], bool],
    empty: str = "nobody",
) -> Lane:
    """Segments of one lane; `empty` labels a stretch with nobody in it (a gap, unless this
    is the overrides lane, where it means no override)."""
    total = (found[-1].end - found[0].start).total_seconds() if found else 1.0
    merged: list[tuple[datetime, datetime, Piece]] = []
    for piece in found:
        if merged and key(merged[-1][2]) == key(piece):
            merged[-1] = (merged[-1][0], piece.end, merged[-1][2])
        else:
            merged.append((piece.start, piece.end, piece))
    segments = []
    for start, end, piece in merged:
        who = people(piece)
        label = ", ".join(names.get(u, str(u)) for u in who) or empty
        segments.append(
            Segment(
                start,
                end,
                label,
                colours.of(who[0]) if who else 0,
                (end - start).total_seconds() / total,
                not who and empty == "nobody",
                override(piece),
            )
        )
    return Lane(name, segments)


def lanes(found: Sequence[Piece], layer_names: Sequence[str], names: dict[UUID, str]) -> list[Lane]:
    """Final lane, then each layer top first, then the overrides lane."""
    result = [
        _lane(
            "Final",
            found,
            lambda p: (p.user_ids, p.override_id),
            lambda p: p.user_ids,
            names,
            lambda p: p.override_id is not None,
        )
    ]
    for i, name in enumerate(layer_names):
        result.append(
            _lane(
                name,
                found,
                lambda p, i=i: p.layer_user_ids[i],  # type: ignore[misc]
                lambda p, i=i: () if p.layer_user_ids[i] is None else (p.layer_user_ids[i],),  # type: ignore[misc]
                names,
                lambda p: False,
            )
        )
    result.append(
        _lane(
            "Overrides",
            found,
            lambda p: p.override_id,
            lambda p: p.user_ids if p.override_id is not None else (),
            names,
            lambda p: p.override_id is not None,
            empty="",
        )
    )
    return result
