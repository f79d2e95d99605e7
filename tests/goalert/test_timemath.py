"""The port of GoAlert's time math reproduces GoAlert's own results (the golden file's GoAlert
columns), so the import's list of differences says what GoAlert would really do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handoff.goalert.timemath import (
    US,
    GoAlertPanic,
    GoRotation,
    goalert_advances,
    goalert_next_handoff,
    to_us,
)

GOLDEN = Path(__file__).parents[3] / "shared" / "golden" / "handoff_grid_cases.txt"


def _cases() -> list[list[str]]:
    if not GOLDEN.exists():
        pytest.skip(f"{GOLDEN} is not here")
    return [line.split() for line in GOLDEN.read_text().splitlines() if not line.startswith("#")]


def test_end_time_is_goalerts_on_every_golden_case() -> None:
    wrong = []
    for zone, type_, length, start, t, _, _, goalert_end, _ in _cases():
        rot = GoRotation(
            type_, int(length), datetime.fromtimestamp(int(start), UTC), ZoneInfo(zone)
        )
        if rot.end_time(int(t) * US) != int(goalert_end) * US:
            wrong.append((zone, type_, length, start, t))
    assert wrong == []


def test_month_end_overflows_the_day_as_go_does() -> None:
    rot = GoRotation("monthly", 1, datetime(2026, 1, 31, 9, tzinfo=UTC), ZoneInfo("UTC"))
    end = rot.end_time(to_us(datetime(2026, 2, 10, tzinfo=UTC)))
    assert end == to_us(datetime(2026, 3, 3, 9, tzinfo=UTC))  # handoff: Feb 28


def test_version_one_hourly_end_time_is_the_legacy_walk() -> None:
    """calcVersion1EndTime adds wall-clock hours from the start: over Berlin's spring-forward
    night 01:00 + 1 h is 02:00, which does not exist; Go resolves it to 03:00 CEST."""
    zone = ZoneInfo("Europe/Berlin")
    rot = GoRotation("hourly", 1, datetime(2027, 3, 27, 23, tzinfo=zone), zone)
    shift_start = datetime(2027, 3, 28, 1, 30, tzinfo=zone)
    assert rot.version1_end_time(to_us(shift_start)) == to_us(datetime(2027, 3, 28, 1, tzinfo=UTC))


def test_next_handoff_of_a_current_state_and_of_a_state_goalert_restarts() -> None:
    rot = GoRotation("daily", 1, datetime(2026, 1, 1, 9, tzinfo=UTC), ZoneInfo("UTC"))
    now = datetime(2026, 6, 10, 12, tzinfo=UTC)
    current = datetime(2026, 6, 10, 9, 0, 5, 123456, tzinfo=UTC)
    assert goalert_next_handoff(rot, current, 2, now) == datetime(2026, 6, 11, 9, tzinfo=UTC)
    assert goalert_advances(rot, current, 2, now) == 0
    stale = current - timedelta(days=3)
    assert goalert_advances(rot, stale, 2, now) == 3
    # GoAlert's next run writes shift_start = now(): the next handoff is EndTime(now).
    assert goalert_next_handoff(rot, stale, 2, now) == datetime(2026, 6, 11, 9, tzinfo=UTC)
    assert goalert_next_handoff(rot, current, 1, now) == datetime(2026, 6, 11, 9, tzinfo=UTC)


def test_too_many_advances_is_goalerts_panic() -> None:
    rot = GoRotation("hourly", 1, datetime(2020, 1, 1, tzinfo=UTC), ZoneInfo("UTC"))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(GoAlertPanic):
        goalert_advances(rot, datetime(2024, 1, 1, tzinfo=UTC), 2, now)
