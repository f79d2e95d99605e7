"""`handoff_rotation_unstaffed{rotation}` (reports.md): 1 for each rotation with nobody on call.

Read from the database at each scrape (any API process answers the same), and only for the
rotations that are unstaffed: a staffed rotation has no series, so 100,000 staffed rotations
cost one index probe each and no exposition lines. The label is the rotation's id: /metrics
needs no token, and names are not for everyone who can reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

NAME = "handoff_rotation_unstaffed"
HELP = "1 while nobody is on call in the rotation (absent while someone is)."


class _Unstaffed(Collector):
    def __init__(self, rotation_ids: Sequence[UUID]) -> None:
        self.rotation_ids = rotation_ids

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(NAME, HELP, labels=["rotation"])
        for rotation_id in self.rotation_ids:
            family.add_metric([str(rotation_id)], 1)
        yield family


def exposition(rotation_ids: Sequence[UUID]) -> bytes:
    """The gauge in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Unstaffed(rotation_ids))
    return generate_latest(registry)
