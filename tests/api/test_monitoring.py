"""What operators load (deploy/prometheus/, deploy/grafana/): the alerting rules pass
`promtool check rules` and their unit tests (`promtool test rules`), and every metric the
rules and the dashboard query is one that /metrics serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Api

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "handoff-rules.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "handoff-rules.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "handoff-dashboard.json"
PROMTOOL = "/usr/bin/promtool"
METRIC = re.compile(r"\bhandoff_[a-z_]+\b")
# Series names a family serves besides its own name, by type.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": (),
}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(PROMTOOL) is None:
        pytest.fail(f"{PROMTOOL} is missing: .ci/run installs Debian's prometheus package")
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=RULES.parent
    )


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    checked = _promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _promtool("test", "rules", RULE_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert {"HandoffNobodyOnCall", "HandoffEngineLag", "HandoffQueueBacklog"} <= alerts
    assert "HandoffDeliveriesFailing" in alerts


def _served(api: Api) -> set[str]:
    import handoff.engine.metrics  # noqa: F401  (registers the engine's metrics, as `up` does)

    api.rotation("empty", [])  # nobody on call: the unstaffed gauge has a series
    text = api.anonymous.get("/metrics").text
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def _queried() -> dict[str, set[str]]:
    """Each query's metric names: the rules' and the dashboard's."""
    found: dict[str, set[str]] = {}
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            found[f"rule {rule['alert']}"] = set(METRIC.findall(rule["expr"]))
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            found[f"panel {panel['title']!r}"] = set(METRIC.findall(target["expr"]))
    return found


def test_every_query_names_a_metric_that_metrics_serves(api: Api) -> None:
    served = _served(api)
    assert "handoff_rotation_unstaffed" in served
    queried = _queried()
    assert all(queried.values()), "a query without a handoff metric"
    unknown = {where: names - served for where, names in queried.items() if names - served}
    assert unknown == {}


def test_a_misspelt_metric_would_be_caught(api: Api) -> None:
    """The check itself: a name /metrics does not serve is reported."""
    served = _served(api)
    assert "handoff_rotations_unstaffed" not in served
    assert "handoff_lag_seconds_bucket" in served and "handoff_deliveries_total" in served
