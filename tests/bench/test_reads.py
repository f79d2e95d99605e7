"""Scenario 6 at a small size (half of it against all of it), against a real `handoff api`
process: every figure measured, no request failing, and the statements of every list the same
at both sizes."""

from __future__ import annotations

import dataclasses

import pytest

from handoff.bench import reads, server
from handoff.bench.profiles import TINY

pytestmark = pytest.mark.e2e


def test_reads_measures_every_list_and_both_loops(server_url: str) -> None:
    profile = dataclasses.replace(TINY, reads_size=reads.SMALL + 50)
    steps: list[str] = []
    with server.fresh_database(server_url) as url:
        result = reads.run(url, profile, steps.append)
    assert len(steps) == reads.steps(profile)
    assert result.rotations == reads.SMALL + 50
    for load in (result.rotation, result.minimal):
        assert load.requests > 0 and load.errors == 0 and load.p99_ms >= load.p50_ms > 0
    routes = [*reads.API_ROUTES, *reads.WEB_ROUTES]
    assert [p.route for p in result.first_pages] == routes
    assert all(p.bytes > 0 and p.ms > 0 for p in result.first_pages)
    assert sorted(result.statements) == [(reads.SMALL + 50) // 2, reads.SMALL + 50]
    small, large = (result.statements[n] for n in sorted(result.statements))
    assert list(small) == routes and small == large
    assert all(n > 0 for n in small.values())
