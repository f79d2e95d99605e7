"""Headlines and goals are computed from the run's own figures, and every key is always there."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from handoff.bench import plot, report
from handoff.bench import results as r
from handoff.bench.ceiling import CeilingResult, Level
from handoff.bench.dbwork import Work
from handoff.bench.grid import GridRates
from handoff.bench.idle import IdleRun
from handoff.bench.lag import Lag
from handoff.bench.pgbench import PgbenchLevel, PgbenchResult, Run
from handoff.bench.steady import SteadyResult
from handoff.bench.storm import StormRound


def _work(db_ms: float, seconds: float = 10.0) -> Work:
    return Work("pg_stat_statements", seconds, statements=100, db_time_ms=db_ms)


def _storm(config: str, n: int, seconds: float) -> StormRound:
    return StormRound(
        config, n, True, seconds, Lag(n, 10.0, 20.0, 30.0, seconds), _work(1.0), [90.0]
    )


def _sample() -> r.Results:
    return r.Results(
        profile="test",
        idle=[
            IdleRun(1_000, "batch", _work(10.0), [95.0]),
            IdleRun(1_000, "queue", _work(10.0), [95.0]),
            IdleRun(100_000, "batch", _work(2_000.0), [110.0]),
            IdleRun(100_000, "queue", _work(12.0), [96.0]),
        ],
        storm=[_storm("queue_1", 1_000, 2.0), _storm("queue_2", 1_000, 0.8)],
        steady=SteadyResult(100, 10.0, Lag(100, 5.0, 150.0, 180.0, 10.0), _work(1.0), [97.0]),
        ceiling=CeilingResult(
            [Level(1, 1, 1_000, 2.0), Level(2, 4, 1_000, 0.5)],
            PgbenchResult(
                100,
                [
                    PgbenchLevel(4, 2, 3, Run(7_500, 0, 2_500.0)),
                    PgbenchLevel(8, 2, 3, Run(12_000, 0, 4_000.0)),
                ],
            ),
        ),
        grid=GridRates({"daily": 150_000.0, "monthly": 90_000.0}, {"daily": 10.0}),
    )


def test_an_empty_run_has_every_headline_key_and_no_verdicts() -> None:
    document = json.loads(json.dumps(r.Results(profile="quick").as_json()))
    assert set(document["headlines"]) == set(r.HEADLINE_KEYS)
    assert all(value is None for value in document["headlines"].values())
    assert {goal["passed"] for goal in document["goals"]} == {None}


def test_headlines_are_ratios_of_the_same_run() -> None:
    headlines = _sample().headlines()
    assert set(headlines) == set(r.HEADLINE_KEYS)
    idle = headlines["idle_batch_over_queue_db_time"]
    assert idle == {"1000": 1.0, "100000": round(2_000.0 / 12.0, 1)}
    assert headlines["storm_handoffs_per_second"] == {
        "queue_1": {"1000": 500.0},
        "queue_2": {"1000": 1250.0},
    }
    assert headlines["storm_queue_2_over_queue_1"] == {"1000": 2.5}
    assert headlines["storm_queue_2_over_batch"] is None  # batch did not run
    # The ceiling is pgbench's best level; the Python client's stays beside it, labelled.
    assert headlines["ceiling_handoffs_per_second"] == 4_000.0
    assert headlines["ceiling_source"] == "pgbench"
    assert headlines["python_client_ceiling_handoffs_per_second"] == 2_000.0
    assert headlines["engine_over_ceiling"] == 0.312
    assert headlines["steady_p99_lag_ms"] == 150.0
    assert headlines["worker_max_rss_mb"] == {"queue": 97.0, "batch": 110.0}


def test_goals_are_judged_against_bench_md() -> None:
    verdicts = {goal.name: goal.passed for goal in _sample().goals()}
    assert verdicts == {
        "storm, queue engine x2, N=1,000": True,
        "storm / ceiling": False,  # 1,250 of pgbench's 4,000 is under 40%
        "p99 lag, steady": True,
        "idle DB time batch/queue, R=100,000": True,
        "idle DB time, queue, R=100,000 vs R=1,000": True,
        "grid end_time calls/s (slowest type)": False,  # monthly is under 100,000
        "worker memory, queue engine (largest RSS)": True,
        "worker memory, batch engine (largest RSS)": True,
    }


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_draws_both_panels_or_says_not_run(tmp_path: Path) -> None:
    for name, results in (("sample", _sample()), ("empty", r.Results(profile="quick"))):
        target = tmp_path / f"{name}.png"
        plot.draw(results, target)
        assert target.read_bytes().startswith(PNG_SIGNATURE)


def test_without_pgbench_the_python_client_is_the_ceiling_and_says_so() -> None:
    results = _sample()
    assert results.ceiling is not None
    results.ceiling = CeilingResult(results.ceiling.levels, None, "no pgbench here")
    headlines = results.headlines()
    assert headlines["ceiling_handoffs_per_second"] == 2_000.0
    assert headlines["ceiling_source"] == "python client"
    assert headlines["engine_over_ceiling"] == 0.625
    document = results.as_json()["scenarios"]
    assert isinstance(document, dict)
    assert document["ceiling"]["pgbench"] is None
    assert document["ceiling"]["pgbench_missing"] == "no pgbench here"
    results.grid = None  # the sample's grid rates are partial: not the point here
    console = Console(record=True, width=200)
    report.render(results, console)
    text = console.export_text()
    assert "no pgbench here" in text
    assert "judged against the python client ceiling" in text


def test_report_names_the_ceiling_the_headline_uses() -> None:
    results = _sample()
    results.grid = None  # the sample's grid rates are partial: not the point here
    console = Console(record=True, width=200)
    report.render(results, console)
    text = console.export_text()
    assert "judged against the pgbench ceiling (4,000 handoffs/s)" in text
    assert "python client" in text and "8 clients: 4,000" in text
    measured = {goal.name: goal.measured for goal in _sample().goals()}
    assert measured["storm / ceiling"] == "31% of the pgbench ceiling (4,000/s)"
