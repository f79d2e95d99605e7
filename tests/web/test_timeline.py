"""The timeline bar: proportional segments, one colour per person, the current shift marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from handoff.store.projections import Shift
from handoff.web import colours, timeline
from handoff.web.timeline import now_offset, segments

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANN, BO = uuid4(), uuid4()
NAMES = {ANN: "Ann", BO: "Bo"}
SHIFTS = [
    Shift(ANN, T0, T0 + timedelta(hours=1)),
    Shift(BO, T0 + timedelta(hours=1), T0 + timedelta(hours=4)),
    Shift(ANN, T0 + timedelta(hours=4), T0 + timedelta(hours=8)),
]


def test_widths_are_proportional_and_fill_the_bar() -> None:
    found = segments(SHIFTS, NAMES, T0)
    assert [s.width for s in found] == pytest.approx([12.5, 37.5, 50.0])
    assert sum(s.width for s in found) == pytest.approx(100)


def test_a_person_keeps_one_colour_and_labels_are_names() -> None:
    found = segments(SHIFTS, NAMES, T0)
    assert [s.label for s in found] == ["Ann", "Bo", "Ann"]
    # Each person's own colour (from their id), whoever comes first.
    assert found[0].colour == found[2].colour == colours.of(ANN)
    assert found[1].colour == colours.of(BO)


def test_the_shift_at_now_is_current() -> None:
    found = segments(SHIFTS, NAMES, T0 + timedelta(hours=1))
    assert [s.current for s in found] == [False, True, False]


def test_a_deleted_user_is_labelled_as_such() -> None:
    stranger = Shift(uuid4(), T0, T0 + timedelta(hours=1))
    assert segments([stranger], NAMES, T0)[0].label == "(deleted user)"


def test_now_offset() -> None:
    assert now_offset(SHIFTS, T0 + timedelta(hours=2)) == pytest.approx(25.0)
    assert now_offset(SHIFTS, T0 + timedelta(hours=8)) is None
    assert now_offset([], T0) is None
    assert segments([], NAMES, T0) == []


def test_off_hours_between_shifts_are_gaps_that_keep_the_proportions() -> None:
    hour = timedelta(hours=1)
    shifts = [Shift(ANN, T0, T0 + 2 * hour), Shift(BO, T0 + 4 * hour, T0 + 8 * hour)]
    found = segments(shifts, NAMES, T0 + 3 * hour)
    assert [(s.label, s.gap, s.current) for s in found] == [
        ("Ann", False, False),
        ("off hours", True, True),
        ("Bo", False, False),
    ]
    assert [s.width for s in found] == pytest.approx([25.0, 25.0, 50.0])


def test_the_preview_bar_draws_the_time_between_intervals_as_gaps() -> None:
    since = datetime(2027, 1, 4, 7, tzinfo=UTC)
    nine, five = since + timedelta(hours=1), since + timedelta(hours=9)
    intervals = [(nine, five, 0), (nine + timedelta(days=1), five + timedelta(days=1), 1)]
    bar = timeline.preview(intervals, since, [("Ann", 3), ("Bo", 12)])
    assert [(s.label, s.gap, s.colour) for s in bar] == [
        ("off hours", True, 0),
        ("Ann", False, 3),
        ("off hours", True, 0),
        ("Bo", False, 2),
    ]
    assert [(s.start, s.end) for s in bar][2] == (five, nine + timedelta(days=1))
    assert abs(sum(s.width for s in bar) - 100) < 1e-9
    numbered = timeline.preview(intervals[:1], nine, [])
    assert [(s.label, s.gap, s.width) for s in numbered] == [("turn 1", False, 100.0)]
    assert timeline.preview([], since, []) == []
