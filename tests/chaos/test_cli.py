"""`handoff chaos` as a user runs it: its figures, its refusal of unknown faults, and a
database that does not outlive the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from handoff.chaos import runner
from handoff.chaos.server import chaos_databases

CLI = [sys.executable, "-c", "from handoff.cli.main import main; main()", "chaos"]
RUN_TIMEOUT_SECONDS = 180


def _env(server_url: str) -> dict[str, str]:
    return dict(os.environ) | {"HANDOFF_DATABASE_URL": server_url}


def test_an_unknown_fault_is_refused(server_url: str) -> None:
    result = subprocess.run(
        [*CLI, "--fault", "meteor"], env=_env(server_url), capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unknown fault 'meteor'" in result.stderr
    assert ", ".join(runner.FAULTS) in result.stderr


def test_one_fault_prints_its_figures_and_drops_its_database(server_url: str) -> None:
    before = set(chaos_databases(server_url))  # a concurrent run's may exist on a shared server
    result = subprocess.run(
        [*CLI, "--quick", "--json", "--fault", "downtime"],
        env=_env(server_url),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ok"] is True
    (fault,) = report["faults"]
    assert fault["fault"] == "downtime"
    for figure in ("rotations", "boundaries_crossed", "handoffs_recorded", "max_lag_seconds"):
        assert fault[figure] > 0
    assert fault["missing"] == fault["duplicated"] == 0
    assert fault["boundaries_crossed"] == fault["handoffs_recorded"]
    assert set(chaos_databases(server_url)) <= before
