"""The meter counts the work done in the database between start and stop, from either source."""

from __future__ import annotations

import psycopg
import pytest

from handoff.bench.dbwork import Meter, Source, source_for

TRANSACTIONS = 5


def _work(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        for _ in range(TRANSACTIONS):
            conn.execute("SELECT count(*) FROM rotations")
        # Publish this backend's statistics now rather than up to ten seconds from now.
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")


@pytest.mark.parametrize("source", ["pg_stat_statements", "pg_stat_database"])
def test_meter_counts_work_between_start_and_stop(db_url: str, source: Source) -> None:
    if source == "pg_stat_statements" and source_for(db_url) != source:
        pytest.skip("pg_stat_statements is not loaded on the test server")
    meter = Meter(db_url, source)
    meter.start()
    _work(db_url)
    work = meter.stop()
    assert work.source == source
    assert work.statements >= TRANSACTIONS
    assert work.db_time_ms >= 0 and work.seconds > 0
    if source == "pg_stat_statements":
        assert any("FROM rotations" in s.query and s.calls >= TRANSACTIONS for s in work.top)
        assert not any("bench" in s.query for s in work.top)


def test_meter_needs_start_before_stop(db_url: str) -> None:
    with pytest.raises(RuntimeError, match="before start"):
        Meter(db_url, "pg_stat_database").stop()
