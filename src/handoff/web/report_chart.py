"""The Reports page's bar chart, drawn on the server as SVG (pure: no CDN, no script).

One horizontal bar per person, their hours over every rotation shown, stacked in three parts
that do not overlap: night (22:00-07:00, weekend nights included), weekend (the rest of
Saturday and Sunday) and other. The SVG scales with its `viewBox`, so the same drawing fits a
phone and a desktop.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from handoff.reports import Row

WIDTH = 640  # viewBox units
LABEL_WIDTH = 150
BAR_HEIGHT = 22
GAP = 8
TOP = 28  # room for the legend
PARTS = ("night", "weekend", "other")
_SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class Part:
    kind: str  # one of PARTS
    x: float
    width: float
    hours: float


@dataclass(frozen=True, slots=True)
class Bar:
    user_id: UUID
    name: str
    y: float
    hours: float
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def chart(rows: list[Row]) -> Chart:
    """Bars of `rows` summed per person, the most hours first."""
    totals: dict[UUID, list[int]] = {}
    names: dict[UUID, str] = {}
    for r in rows:
        night = r.night_seconds
        weekend = r.weekend_seconds - r.night_weekend_seconds
        other = r.seconds - night - weekend
        sums = totals.setdefault(r.user_id, [0, 0, 0])
        for i, value in enumerate((night, weekend, other)):
            sums[i] += value
        names[r.user_id] = r.name
    ordered = sorted(totals.items(), key=lambda kv: (-sum(kv[1]), names[kv[0]]))
    most = max((sum(v) for _, v in ordered), default=0) or 1
    scale = (WIDTH - LABEL_WIDTH) / most
    bars: list[Bar] = []
    for i, (user_id, sums) in enumerate(ordered):
        x = float(LABEL_WIDTH)
        parts: list[Part] = []
        for kind, seconds in zip(PARTS, sums, strict=True):
            width = seconds * scale
            parts.append(Part(kind, x, width, round(seconds / _SECONDS_PER_HOUR, 2)))
            x += width
        y = TOP + i * (BAR_HEIGHT + GAP)
        bars.append(
            Bar(user_id, names[user_id], y, round(sum(sums) / _SECONDS_PER_HOUR, 2), tuple(parts))
        )
    height = TOP + len(bars) * (BAR_HEIGHT + GAP)
    return Chart(WIDTH, height, LABEL_WIDTH, BAR_HEIGHT, tuple(bars))
