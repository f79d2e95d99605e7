"""The stall scenario (issue 24's probe) at a small size, against a real `handoff up`: slow
bodies, slow headers, clients gone mid-body and heavy pages, while a canary is served within a
second, a due handoff is recorded within engine.md's lag, and nothing answers 5xx.

The server's deadlines are shortened (bodies and headers 2 s) so that each slow client is cut
off within the attack, and its pool to 4 connections, so that slow bodies that held one each
(as before issue 24) would empty it: the canary would then wait POOL_TIMEOUT_SECONDS (3 s) for
a 503.
"""

from __future__ import annotations

import dataclasses

import pytest

from handoff.bench import server, stall
from handoff.bench.profiles import TINY

pytestmark = pytest.mark.e2e


def test_a_small_stall_run_delays_no_request_and_no_handoff(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_BODY_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("HANDOFF_HEADER_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("HANDOFF_POOL_SIZE", "4")
    profile = dataclasses.replace(TINY, stall_rotations=400, stall_clients=24, stall_seconds=8.0)
    steps: list[str] = []
    with server.fresh_database(server_url) as url:
        result = stall.run(url, profile, steps.append)
    assert len(steps) == stall.steps(profile)
    assert result.rotations == 400 and result.slow_clients == 24
    assert result.service_alive
    assert result.canary_max_ms < stall.GOAL_CANARY_MS, result.canary
    for route, canary in result.canary.items():
        assert canary.requests >= 20 and canary.failures == 0, (route, canary)
    assert result.lag_ms is not None and result.lag_ms <= stall.GOAL_LAG_MS
    assert result.server_errors == 0, result.outcomes
    # Every attack ran and was cut off by the server, and every heavy route was served.
    for label, *_ in stall.SLOW_BODY_ROUTES:
        assert result.outcomes[f"slow body {label}"].get("408", 0) > 0, result.outcomes
    assert result.outcomes["slow headers"].get("closed", 0) > 0, result.outcomes
    assert result.outcomes["gone mid-body"].get("went away", 0) > 0, result.outcomes
    assert set(result.heavy_max_ms) == set(stall.HEAVY_ROUTES)
    for label in stall.HEAVY_ROUTES:
        assert result.outcomes[label].get("200", 0) > 0, (label, result.outcomes[label])
