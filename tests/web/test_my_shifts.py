"""A person's next shifts with whom they take over from and hand to (web/my_shifts.py):
touching pieces of theirs are one shift, the window's edges are unknown, rotations apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from handoff.store.calendar import Segment
from handoff.web.my_shifts import MyShift, upcoming

T = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)
ANN, BOB, CY = uuid4(), uuid4(), uuid4()
ONE, TWO = sorted([uuid4(), uuid4()])


def test_each_shift_names_who_hands_over_and_who_takes_over() -> None:
    segments = [
        Segment(ONE, ANN, T, T + H),  # in force when the window opens
        Segment(ONE, BOB, T + H, T + 2 * H),
        Segment(ONE, ANN, T + 2 * H, T + 3 * H),
        Segment(ONE, ANN, T + 3 * H, T + 4 * H, override_id=uuid4()),  # split at an edge
        Segment(ONE, None, T + 4 * H, T + 5 * H),  # nobody
        Segment(ONE, ANN, T + 5 * H, T + 6 * H),  # runs past the window
        Segment(TWO, CY, T, T + 90 * timedelta(minutes=1)),
        Segment(TWO, ANN, T + 90 * timedelta(minutes=1), T + 6 * H),
    ]
    assert upcoming(segments, ANN, 10) == [
        MyShift(ONE, T, T + H, None, BOB, False, known_start=False, known_end=True),
        MyShift(TWO, T + 90 * timedelta(minutes=1), T + 6 * H, CY, None, False, True, False),
        MyShift(ONE, T + 2 * H, T + 4 * H, BOB, None, True, known_start=True, known_end=True),
        MyShift(ONE, T + 5 * H, T + 6 * H, None, None, False, known_start=True, known_end=False),
    ]
    assert [s.start for s in upcoming(segments, ANN, 2)] == [T, T + 90 * timedelta(minutes=1)]
    assert upcoming(segments, uuid4(), 10) == []
