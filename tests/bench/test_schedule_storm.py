"""The schedule storm at the tiny size, for real: two queue workers, the plain storm, then the
same storm with its rotations stacked three to a schedule; every schedule's one final change
recorded exactly once, and the throughput ratio reported."""

from __future__ import annotations

import pytest
from rich.console import Console

from handoff.bench import runner, schedule_storm
from handoff.bench.profiles import TINY

pytestmark = pytest.mark.e2e


def test_the_schedule_storm_records_each_schedule_change_once(server_url: str) -> None:
    results = runner.run(
        TINY,
        database_url=server_url,
        force=True,
        scenarios=("schedules",),
        console=Console(quiet=True),
    )
    found = results.schedule_storm
    assert found is not None
    size = TINY.storm_sizes[0]
    assert found.schedules == schedule_storm.schedule_count(size) == 14
    assert found.baseline.complete and found.with_schedules.complete
    assert found.every_change_once, found.as_json()
    assert found.throughput_ratio is not None
    headlines = results.headlines()
    assert headlines["schedule_storm_every_change_once"] is True
    assert headlines["schedule_storm_over_storm"] == round(found.throughput_ratio, 3)
