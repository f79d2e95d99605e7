"""The port of GoAlert's time math reproduces GoAlert's own results (the golden file's GoAlert
columns), so the import's list of differences says what GoAlert would really do."""

from __future__ import annotations

import os
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

# The golden file, as tests/core/test_grid.py finds it: HANDOFF_GOLDEN_FILE (set by CI, so a
# missing file fails there), else the shared copy beside the repository (skipped if absent).
GOLDEN_FILE_ENV = "HANDOFF_GOLDEN_FILE"
DEFAULT_GOLDEN_FILE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "golden" / "handoff_grid_cases.txt"
)


def _cases() -> list[list[str]]:
    path = Path(os.environ.get(GOLDEN_FILE_ENV) or DEFAULT_GOLDEN_FILE)
    if not path.is_file():
        if os.environ.get(GOLDEN_FILE_ENV):
            pytest.fail(f"{GOLDEN_FILE_ENV}={path} does not exist")
        pytest.skip(f"golden file {path} not found (set {GOLDEN_FILE_ENV} to point at it)")
    cases = [line.split() for line in path.read_text().splitlines() if line.strip()]
    cases = [case for case in cases if not case[0].startswith("#")]
    assert cases, f"{path} holds no case"
    assert all(len(case) == 9 for case in cases), f"{path}: a line without 9 fields"
    return cases


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
