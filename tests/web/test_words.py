"""The rotation phrase, ordinals, lag and zone formatting: the words every page uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handoff.web.words import (
    change_summary,
    describe,
    format_lag,
    happened,
    in_zone,
    ordinal,
    until,
)

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


# ---- Overrides, scheduled changes and the on-call timeline -----------------------------------


def test_until_names_the_weekday_within_six_days_and_the_date_after() -> None:
    row = datetime(2026, 12, 7, 8, tzinfo=UTC)  # Monday 09:00 in Berlin
    assert until(datetime(2026, 12, 8, 17, tzinfo=UTC), row, "Europe/Berlin") == "Tue 18:00"
    later = datetime(2026, 12, 14, 17, tzinfo=UTC)
    assert until(later, row, "Europe/Berlin") == "Mon 14 Dec 2026 18:00"


@pytest.mark.parametrize(
    ("cause", "old", "new", "effective", "expected"),
    [
        ("override_started", "Ann", "Bo", True, "Bo covers Ann until Tue 18:00"),
        ("override_started", "Ann", None, True, "nobody on call instead of Ann until Tue 18:00"),
        ("override_started", None, "Bo", True, "Bo on call until Tue 18:00"),
        ("override_ended", "Bo", "Ann", True, "Ann back on call"),
        ("override_ended", "Bo", None, True, "nobody on call"),
        ("scheduled_change", "Ann", "Cy", True, "scheduled change applied: Ann → Cy"),
        ("scheduled_change", "Ann", "Ann", True, "scheduled change applied; Ann stays on call"),
        ("user_deleted", "Cid", "Ann", True, "Cid removed (user deleted); Ann on call"),
        ("user_deleted", "Cid", None, True, "Cid removed (user deleted); nobody on call"),
        ("participant_removed", "Ann", "Bo", True, "Ann removed from the rotation; Bo on call"),
        ("participant_removed", "Ann", None, True, "Ann removed from the rotation; nobody on call"),
        ("boundary", "Ann", "Bo", True, "Ann → Bo"),
        ("boundary", "Ann", "Bo", False, "Ann → Bo (an override decides who is on call)"),
        ("manual", "Ann", "Bo", True, "Ann → Bo"),
        ("started", None, "Ann", True, "Ann on call"),
        ("imported", None, "Ann", True, "Ann on call (imported)"),
        ("participants_replaced", "Ann", None, True, "Ann → nobody on call"),
    ],
)
def test_history_rows_say_what_happened(
    cause: str, old: str | None, new: str | None, effective: bool, expected: str
) -> None:
    line = happened(cause, old, new, effective=effective, until_text="Tue 18:00")
    assert line == expected


def test_an_override_start_whose_end_is_unknown_says_no_end() -> None:
    assert happened("override_started", "Ann", "Bo") == "Bo covers Ann"


def test_a_change_in_words_names_only_what_it_sets() -> None:
    assert (
        change_summary(
            type_="weekly",
            shift_length=2,
            start="Mon 04 Jan 2027 09:00 CET",
            time_zone="Europe/Berlin",
            participants=["Ann", "Bo", "Ann"],
            active_index=1,
        )
        == "weekly shifts, shift length 2; start Mon 04 Jan 2027 09:00 CET;"
        " time zone Europe/Berlin; participants Ann, Bo, Ann; on call: position 2 (Bo)"
    )
    none = dict(type_=None, shift_length=None, start=None, time_zone=None)
    assert change_summary(**none, participants=None, active_index=0) == "on call: position 1"
    assert change_summary(**none, participants=[], active_index=None) == "participants none"
    assert change_summary(**none, participants=None, active_index=None) == ""
