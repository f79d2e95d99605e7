"""The rotation page's timeline: shifts laid out as proportional segments of one bar (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from handoff.store.projections import Shift
from handoff.web import colours


@dataclass(frozen=True, slots=True)
class Segment:
    label: str
    start: datetime
    end: datetime
    width: float  # percent of the bar
    colour: int  # the person's palette index (`colours.of`); 0 for nobody, drawn grey
    current: bool
    override: bool = False  # an override decides who is on call (drawn in its own pattern)
    nobody: bool = False  # nobody is on call (an override naming nobody, or off hours)
    gap: bool = False  # outside the rotation's active hours (hours.md): no shift there


def segments(shifts: Sequence[Shift], names: Mapping[UUID, str], now: datetime) -> list[Segment]:
    """One segment per shift, its width proportional to its length; the shift at `now` is marked.

    Each person has their own colour (`colours.of`), the same on every page. Time between two
    shifts (outside the active hours, which /shifts leaves out) is a gap segment, so the bar
    keeps its proportions.
    """
    if not shifts:
        return []
    total = (shifts[-1].end - shifts[0].start).total_seconds()
    result = []
    for before, shift in zip([None, *shifts], shifts, strict=False):
        if before is not None and before.end < shift.start:
            off = (shift.start - before.end).total_seconds()
            result.append(
                Segment(
                    label="off hours",
                    start=before.end,
                    end=shift.start,
                    width=100 * off / total,
                    colour=0,
                    current=before.end <= now < shift.start,
                    nobody=True,
                    gap=True,
                )
            )
        colour = 0 if shift.user_id is None else colours.of(shift.user_id)
        length = (shift.end - shift.start).total_seconds()
        result.append(
            Segment(
                label="nobody"
                if shift.user_id is None
                else names.get(shift.user_id, "(deleted user)"),
                start=shift.start,
                end=shift.end,
                width=100 * length / total if total > 0 else 100 / len(shifts),
                colour=colour,
                current=shift.start <= now < shift.end,
                override=shift.override_id is not None,
                nobody=shift.user_id is None,
            )
        )
    return result


def now_offset(shifts: Sequence[Shift], now: datetime) -> float | None:
    """Where `now` falls along the bar, in percent; None when it is outside."""
    if not shifts:
        return None
    begin, end = shifts[0].start, shifts[-1].end
    if not begin <= now < end:
        return None
    return 100 * (now - begin).total_seconds() / (end - begin).total_seconds()
