"""Fixtures for the bounded fault suite: a fresh chaos database per test, small profiles.

Faults that only need a database run on the session's server. The outage fault stops the
server, so it gets a private embedded one (or, with HANDOFF_TEST_DATABASE_URL, the external
server, where it terminates connections instead of stopping anything).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.exactly_once import exactly_once
from handoff.chaos import server
from handoff.chaos.context import Context, Profile

# Every fault at a size a 2-core machine runs in seconds. Boundaries are just past (due at
# once), so no test waits for a whole minute to come.
BOUNDED = Profile(
    name="bounded",
    realtime=False,
    kill_minutes=2,
    kill_per_minute=150,
    kill_workers=2,
    kill_interval=(1.5, 3.0),
    outage_rotations=200,
    outage_seconds=3.0,
    downtime_rotations=60,
    downtime=timedelta(days=3),
    mixed_boundaries=1,
    mixed_per_boundary=300,
    poison_healthy=30,
    restore_rotations=90,
    hosts_rotations=3_000,  # a storm still under way through the cuts (cut_holding retries)
    hosts_cut=timedelta(seconds=8),
    settle=timedelta(seconds=60),
)


@pytest.fixture
def chaos_context(server_url: str, tmp_path: Path) -> Iterator[Context]:
    """A fresh chaos database on the session's server, dropped afterwards; no job may fail on a
    unique violation or a deadlock and the database may count no deadlock (`exactly_once`)."""
    shared = server.ChaosServer(server_url, None)
    with server.fresh_database(shared) as url, exactly_once(url, tmp_path):
        yield Context(shared, url, tmp_path, lambda _: None)


@pytest.fixture
def restartable_context(tmp_path: Path) -> Iterator[Context]:
    """A fresh chaos database on a server the test may stop: a private embedded one, or the
    external test server (where an outage is simulated with pg_terminate_backend)."""
    with (
        server.chaos_server(os.environ.get("HANDOFF_TEST_DATABASE_URL")) as own,
        server.fresh_database(own) as url,
        exactly_once(url, tmp_path),
    ):
        yield Context(own, url, tmp_path, lambda _: None)
