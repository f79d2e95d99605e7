"""Every fault of `handoff chaos`, bounded: nothing lost, nothing doubled, every invariant.

Each test runs the same fault module as the CLI, with the BOUNDED profile, and asserts on
the result the CLI would print: missing == 0, duplicated == 0, the invariant check passed,
and the fault's own expectations (503s, retries, repairs) held.
"""

from __future__ import annotations

import os

import pytest

from handoff.chaos import pgbouncer
from handoff.chaos.context import Context
from handoff.chaos.faults import downtime, hosts, kill, mixed, outage, poison, restore
from handoff.chaos.report import FaultResult

from .conftest import BOUNDED


def assert_survived(result: FaultResult) -> None:
    check = result.check
    assert check.rotations > 0
    assert check.boundaries > 0, "the fault crossed no boundary: it tested nothing"
    assert check.missing == 0, result.as_json()
    assert check.duplicated == 0, result.as_json()
    assert check.recorded == check.boundaries, result.as_json()
    assert check.ok, check.problems()
    assert not result.failures, result.failures


@pytest.mark.e2e
def test_workers_killed_with_sigkill(chaos_context: Context) -> None:
    result = kill.run(chaos_context, BOUNDED)
    assert_survived(result)
    assert result.events["SIGKILLs"] >= 5
    assert result.check.boundaries == BOUNDED.kill_minutes * BOUNDED.kill_per_minute


def test_database_away_mid_storm(restartable_context: Context) -> None:
    result = outage.run(restartable_context, BOUNDED)
    assert_survived(result)
    if restartable_context.server.can_restart:
        assert "503" in str(result.events["API answers"])


def test_engine_down_for_three_days(chaos_context: Context) -> None:
    result = downtime.run(chaos_context, BOUNDED)
    assert_survived(result)
    # Hourly rotations alone cross about 72 boundaries each.
    assert result.check.boundaries > BOUNDED.downtime_rotations * 20


@pytest.mark.e2e
def test_queue_and_batch_together_then_switch(chaos_context: Context) -> None:
    result = mixed.run(chaos_context, BOUNDED)
    assert_survived(result)
    assert result.events["handoffs by batch"] and result.events["handoffs by queue"]


@pytest.mark.e2e
def test_poison_rotation_retried_isolated_and_repaired(chaos_context: Context) -> None:
    result = poison.run(chaos_context, BOUNDED)
    assert_survived(result)
    assert int(result.events["attempts before the fix"]) >= poison.WANTED_ATTEMPTS


def test_jobs_lost_and_database_restored(chaos_context: Context) -> None:
    result = restore.run(chaos_context, BOUNDED)
    assert_survived(result)
    assert int(result.events["dump bytes"]) > 0
    assert result.events["handoffs in the dump"] == 0
    assert int(result.events["summaries (one per rotation that changed)"]) > 0
    assert str(result.events["client tools"]).startswith("pg_dump/pg_restore")
    assert int(result.events["repaired by the sweep"]) >= int(result.events["needing the sweep"])


@pytest.mark.e2e
def test_namespaced_hosts_one_cut_off_then_a_database_restart(
    restartable_context: Context,
) -> None:
    """Needs root (network namespaces) and Debian's pgbouncer: skipped with the reason without
    them, unless HANDOFF_REQUIRE_NETNS is set (CI runs as root and sets it)."""
    if os.geteuid() != 0 or not pgbouncer.available():
        reason = "the namespaced-hosts fault needs root and Debian's pgbouncer"
        if os.environ.get("HANDOFF_REQUIRE_NETNS"):
            pytest.fail(reason)
        pytest.skip(reason)
    result = hosts.run(restartable_context, BOUNDED)
    print(result.as_json())
    assert_survived(result)
    assert int(result.events["of them taken over by host 2"]) > 0
    assert float(result.events["takeover lag, max (s)"]) <= hosts.TAKEOVER_GOAL.total_seconds()
