"""The import world's leap-day rotation holds whenever the suite runs: its next handoff after
`now` falls on Feb 28 of a common year (where handoff clamps and GoAlert overflows), checked by
plain calendar arithmetic for every day from 2026 to 2060 and the minutes around each Feb 28."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from .world import leap_day_rotation


def _handoff(year: int) -> datetime:
    """A yearly-multiple monthly rotation begun on a Feb 29, 09:00 Berlin (08:00 UTC), hands
    off on the last day of February: the 29th in a leap year, the 28th otherwise."""
    return datetime(year, 2, 29 if calendar.isleap(year) else 28, 8, tzinfo=UTC)


def _instants() -> Iterator[datetime]:
    day = datetime(2026, 1, 1, 12, tzinfo=UTC)
    while day.year <= 2060:
        yield day
        day += timedelta(days=1)
    for year in range(2026, 2061):
        for minutes in range(-2, 3):
            for feb in (28, 29) if calendar.isleap(year) else (28,):
                yield datetime(year, 2, feb, 8, tzinfo=UTC) + timedelta(minutes=minutes)


@pytest.mark.parametrize("decade", [2020, 2030, 2040, 2050, 2060])
def test_the_leap_day_rotation_hands_off_next_on_a_clamped_feb_28(decade: int) -> None:
    for now in (t for t in _instants() if t.year // 10 * 10 == decade):
        length, start, year = leap_day_rotation(now)
        leap = int(start[:4])
        assert start == f"{leap}-02-29T09:00:00+01:00" and calendar.isleap(leap)
        assert _handoff(leap) <= now, now  # begun in the past
        assert length % 12 == 0, now
        years = range(leap, year + 1, length // 12)
        handoffs = [_handoff(y) for y in years]
        assert handoffs[-1] == datetime(year, 2, 28, 8, tzinfo=UTC), now  # a common year
        assert handoffs[-2] <= now < handoffs[-1], now  # and it is the next one after now
