"""The active periods' memo (hours._Merged): the same periods as merging the days afresh, past
the periods it keeps too, and an engine run's repeated questions answered without merging a
day again."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import pytest

from handoff import hours as h
from handoff import oncall as oc
from handoff import rotation as r

DAY = timedelta(days=1)

CASES = [
    (
        "Europe/Berlin",
        [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}],
    ),
    ("America/Santiago", [{"days": ["sun"], "from": "23:30", "to": "00:30"}]),
    (
        "Australia/Lord_Howe",
        [
            {"days": ["fri"], "from": "18:00", "to": "24:00"},
            {"days": ["sat", "sun"], "from": "00:00", "to": "24:00"},
            {"days": ["mon"], "from": "00:00", "to": "08:00"},
        ],
    ),
    (
        "UTC",
        [
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "from": "00:00",
                "to": "24:00",
            }
        ],
    ),
]


@pytest.mark.parametrize(("zone", "windows"), CASES)
def test_periods_past_the_kept_ones_are_the_merge_of_the_days(
    zone: str, windows: list[dict[str, object]]
) -> None:
    parsed = h.parse_windows(windows)
    assert parsed is not None
    hours = h.ActiveHours(parsed, zone)
    t = datetime(2027, 3, 10, 12, 7, tzinfo=UTC)
    count = 3 * h._KEPT + 5
    day = t.astimezone(h.load_zone(zone)).date() - 2 * DAY
    fresh = [p for p in itertools.islice(h._merge(parsed, zone, day), count + 10) if p[1] > t]
    assert list(itertools.islice(hours.periods(t), count)) == fresh[:count]
    # Asked again (now from the memo), and from an instant inside the kept ones.
    assert list(itertools.islice(hours.periods(t), count)) == fresh[:count]
    if fresh[-1][1] == h.FOREVER:  # windows covering the whole week: one period, never ending
        assert len(fresh) == 1
        return
    later = fresh[h._KEPT - 2][1]
    assert next(hours.periods(later)) == next(p for p in fresh if p[1] > later)


def test_an_engine_run_asked_again_merges_no_day_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's catch-up and next run time ask for the same periods and the same turn's
    pass many times; after the first run, the same questions resolve no wall time."""
    windows = h.parse_windows(
        [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]
    )
    start = datetime(2027, 1, 4, 8, tzinfo=UTC)
    people = tuple(
        r.Participant(uuid5(NAMESPACE_URL, f"p{i}"), uuid5(NAMESPACE_URL, f"u{i}"))
        for i in range(3)
    )
    config = oc.Config("hourly", 2, start, "Europe/Berlin", windows, "active")
    inputs = oc.Inputs(config, r.State(0, people[0].id, start, True), people)
    now = datetime(2027, 1, 6, 10, 30, tzinfo=UTC)

    def run() -> tuple[oc.CatchUp, datetime | None]:
        caught = oc.catch_up(inputs, now, after=start)
        return caught, oc.next_wake(
            oc.Inputs(caught.config, caught.state, caught.participants), now
        )

    h._merged.cache_clear()
    h._active_pass.cache_clear()
    first = run()
    resolved: list[datetime] = []
    real = h.wall_instant

    def counted(zone: str, wall: datetime) -> datetime:
        resolved.append(wall)
        return real(zone, wall)

    monkeypatch.setattr(h, "wall_instant", counted)
    assert run() == first
    assert resolved == []
    assert len(first[0].events) > 10
