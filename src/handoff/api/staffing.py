"""`handoff_rotation_unstaffed{rotation}` (reports.md): 1 for each rotation with nobody on call;
`handoff_schedule_next_gap_seconds{schedule}`: the seconds until each schedule's next gap within
7 days (0 during one), absent if it has none by then.

Read from the database at each scrape (any API process answers the same), and only for the
rotations that are unstaffed: a staffed rotation has no series, so 100,000 staffed rotations
cost one index probe each and no exposition lines. The labels are ids: /metrics needs no
token, and names are not for everyone who can reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

NAME = "handoff_rotation_unstaffed"
HELP = "1 while nobody is on call in the rotation (absent while someone is)."
GAP_NAME = "handoff_schedule_next_gap_seconds"
GAP_HELP = (
    "Seconds until the schedule next has nobody on call (0: now), if within 7 days;"
    " absent if it has no gap by then."
)


class _Gauges(Collector):
    def __init__(self, rotation_ids: Sequence[UUID], next_gaps: Sequence[tuple[UUID, int]]) -> None:
        self.rotation_ids = rotation_ids
        self.next_gaps = next_gaps

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(NAME, HELP, labels=["rotation"])
        for rotation_id in self.rotation_ids:
            family.add_metric([str(rotation_id)], 1)
        yield family
        gaps = GaugeMetricFamily(GAP_NAME, GAP_HELP, labels=["schedule"])
        for schedule_id, seconds in self.next_gaps:
            gaps.add_metric([str(schedule_id)], seconds)
        yield gaps


def exposition(rotation_ids: Sequence[UUID], next_gaps: Sequence[tuple[UUID, int]]) -> bytes:
    """The gauges in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Gauges(rotation_ids, next_gaps))
    return generate_latest(registry)
