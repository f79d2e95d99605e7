"""The active-hours storm alone, at the tiny size, against real worker processes: every
rotation's active hours open at the storm's instant and each records one `active_start`."""

from __future__ import annotations

import pytest
from rich.console import Console

from handoff.bench import runner
from handoff.bench.profiles import TINY

pytestmark = pytest.mark.e2e


def test_the_active_hours_storm_records_one_active_start_per_rotation(server_url: str) -> None:
    results = runner.run(
        TINY, database_url=server_url, force=True, scenarios=["active"], console=Console(quiet=True)
    )
    found = results.active
    assert found is not None and found.rotations == TINY.active_size
    assert found.baseline.complete and found.baseline.recorded_once
    # The boundary at the storm's instant is no turn pass with the hours: an active_start, once.
    assert found.active.complete and found.active.recorded_once
    assert found.active.lag.recorded == TINY.active_size
    assert found.throughput_ratio is not None and found.throughput_ratio > 0
    goal = next(g for g in results.goals() if g.name.startswith("active-hours storm"))
    assert goal.passed is not None
    assert results.headlines()["active_storm_recorded_once"] is True
