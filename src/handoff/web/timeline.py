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
            result.append(_off_hours(before.end, shift.start, total, now))
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


def preview(
    intervals: Sequence[tuple[datetime, datetime, int]],
    since: datetime,
    labels: Sequence[tuple[str, int]],
) -> list[Segment]:
    """The live preview's bar: each on-call interval of `oncall.preview` (start, end, turn
    number) from `since` to the last one, with the time between them (outside the active
    hours) as gap segments. `labels[k % len(labels)]` names turn k and gives its colour (the
    person's, when the form names participants); without labels turns are numbered."""
    if not intervals:
        return []
    total = (intervals[-1][1] - since).total_seconds()
    result = []
    previous_end = since
    for start, end, index in intervals:
        if previous_end < start:
            result.append(_off_hours(previous_end, start, total, None))
        label, colour = labels[index % len(labels)] if labels else (f"turn {index + 1}", index)
        result.append(
            Segment(
                label=label,
                start=start,
                end=end,
                width=100 * (end - start).total_seconds() / total,
                colour=colour % colours.PALETTE_SIZE,
                current=False,
            )
        )
        previous_end = end
    return result


def _off_hours(start: datetime, end: datetime, total: float, now: datetime | None) -> Segment:
    """Time outside the active hours between two shifts: a gap, nobody on call."""
    return Segment(
        label="off hours",
        start=start,
        end=end,
        width=100 * (end - start).total_seconds() / total,
        colour=0,
        current=now is not None and start <= now < end,
        nobody=True,
        gap=True,
    )


def now_offset(shifts: Sequence[Shift], now: datetime) -> float | None:
    """Where `now` falls along the bar, in percent; None when it is outside."""
    if not shifts:
        return None
    begin, end = shifts[0].start, shifts[-1].end
    if not begin <= now < end:
        return None
    return 100 * (now - begin).total_seconds() / (end - begin).total_seconds()
