"""The rotation phrase, ordinals, lag and zone formatting: the words every page uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handoff.web.words import describe, format_lag, in_zone, ordinal

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("type_", "length", "start", "zone", "expected"),
    [
        (
            "weekly",
            2,
            datetime(2026, 1, 5, 9, tzinfo=BERLIN),
            "Europe/Berlin",
            "hands off every 2 weeks, Monday 09:00 Europe/Berlin",
        ),
        (
            "weekly",
            1,
            datetime(2026, 1, 9, 8, tzinfo=UTC),  # Friday 08:00 UTC = Friday 09:00 in Berlin
            "Europe/Berlin",
            "hands off every week, Friday 09:00 Europe/Berlin",
        ),
        (
            "daily",
            1,
            datetime(2026, 1, 1, 8, tzinfo=ZoneInfo("America/Sao_Paulo")),
            "America/Sao_Paulo",
            "hands off every day at 08:00 America/Sao_Paulo",
        ),
        (
            "daily",
            3,
            datetime(2026, 1, 2, 9, tzinfo=UTC),
            "UTC",
            "hands off every 3 days at 09:00 UTC",
        ),
        (
            "hourly",
            1,
            datetime(2026, 1, 1, 6, 30, tzinfo=UTC),
            "UTC",
            "hands off every hour at :30 UTC",
        ),
        (
            "hourly",
            8,
            datetime(2026, 1, 1, 14, tzinfo=ZoneInfo("America/New_York")),
            "America/New_York",
            "hands off every 8 hours at 06:00, 14:00 and 22:00 America/New_York",
        ),
        (
            "hourly",
            5,
            datetime(2026, 1, 1, 6, tzinfo=UTC),
            "UTC",
            "hands off every 5 hours, counting from 2026-01-01 06:00 UTC",
        ),
        (
            "monthly",
            1,
            datetime(2026, 1, 31, 10, tzinfo=ZoneInfo("Asia/Tokyo")),
            "Asia/Tokyo",
            "hands off every month on the 31st (or the month's last day) at 10:00 Asia/Tokyo",
        ),
        (
            "monthly",
            3,
            datetime(2026, 1, 2, 9, tzinfo=UTC),
            "UTC",
            "hands off every 3 months on the 2nd at 09:00 UTC",
        ),
    ],
)
def test_describe(type_: str, length: int, start: datetime, zone: str, expected: str) -> None:
    assert describe(type_, length, start, zone) == expected


def test_describe_refuses_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="yearly"):
        describe("yearly", 1, datetime(2026, 1, 1, tzinfo=UTC), "UTC")


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (31, "31st"),
        (111, "111th"),
    ],
)
def test_ordinal(n: int, expected: str) -> None:
    assert ordinal(n) == expected


@pytest.mark.parametrize(
    ("lag", "expected"),
    [
        (timedelta(0), "0.000 s"),
        (timedelta(milliseconds=42), "0.042 s"),
        (timedelta(seconds=3.46), "3.5 s"),
        (timedelta(seconds=125), "2 min 5 s"),
        (timedelta(hours=3, minutes=20, seconds=59), "3 h 20 min"),
        (timedelta(days=2), "48 h 0 min"),
        (timedelta(milliseconds=-5), "-0.005 s"),
        (timedelta(seconds=-90), "-1 min 30 s"),
    ],
)
def test_format_lag(lag: timedelta, expected: str) -> None:
    assert format_lag(lag) == expected


def test_in_zone_reads_the_wall_clock_with_its_abbreviation() -> None:
    instant = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert in_zone(instant, "Europe/Berlin") == "Wed 01 Jul 2026 09:00 CEST"
    assert in_zone(instant, "UTC") == "Wed 01 Jul 2026 07:00 UTC"
