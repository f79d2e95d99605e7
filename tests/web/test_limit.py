"""The sign-in rate limit's arithmetic (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff.web.limit import ADDRESS_MAX_FAILURES, MAX_FAILURES, WINDOW, retry_after

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_fewer_failures_than_the_limit_may_try_now() -> None:
    assert retry_after([], NOW) is None
    assert retry_after([NOW - SECOND] * (MAX_FAILURES - 1), NOW) is None


def test_failures_older_than_the_window_do_not_count() -> None:
    old = [NOW - WINDOW] * MAX_FAILURES
    assert retry_after(old, NOW) is None


def test_at_the_limit_the_wait_ends_when_the_oldest_counted_failure_leaves_the_window() -> None:
    failures = [NOW - timedelta(minutes=5) + i * SECOND for i in range(MAX_FAILURES)]
    assert retry_after(failures, NOW) == (WINDOW - timedelta(minutes=5)).total_seconds()
    # Past the limit, the failure that frees a place is the MAX_FAILURES-th newest.
    more = [NOW - timedelta(minutes=9), *failures]
    assert retry_after(more, NOW) == (WINDOW - timedelta(minutes=5)).total_seconds()
    assert retry_after(failures, NOW + WINDOW - timedelta(minutes=5) - SECOND / 2) == 1


def test_the_address_limit_is_its_own_count() -> None:
    failures = [NOW - SECOND] * MAX_FAILURES
    assert retry_after(failures, NOW) is not None
    assert retry_after(failures, NOW, ADDRESS_MAX_FAILURES) is None
    assert retry_after([NOW - SECOND] * ADDRESS_MAX_FAILURES, NOW, ADDRESS_MAX_FAILURES) == 600 - 1
