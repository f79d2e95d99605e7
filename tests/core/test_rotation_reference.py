"""handoff.rotation against the spec's rules written independently (rotation_reference.py).

The strategies are wide on purpose: any grid type (monthly included), shift lengths, zones with
and without daylight saving, a `start` anywhere from 1990 to 2060, and `now` from minutes to
years after the shift began (longer for longer steps), so catch-up over many boundaries, month
ends and DST transitions are all drawn.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import rotation_reference as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import rotation as r
from handoff.grid import Grid

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
# How far `now` may lie after shift_start, per grid type: many boundaries, few enough to run.
HORIZON = {
    "hourly": timedelta(days=90),
    "daily": timedelta(days=4 * 365),
    "weekly": timedelta(days=20 * 365),
    "monthly": timedelta(days=60 * 365),
}
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    kind = draw(st.sampled_from(list(HORIZON)))
    length = draw(st.integers(1, 48 if kind == "hourly" else 13))
    return Grid(kind, length, draw(instants), draw(st.sampled_from(ZONES)))


@st.composite
def lists(draw: st.DrawFn, min_size: int = 1) -> list[ref.Person]:
    """Participants with distinct ids; users drawn from a few, so a person may appear twice."""
    users = [UUID(int=u) for u in range(1, 6)]
    size = draw(st.integers(min_size, 7))
    return [
        (UUID(int=1000 + draw(st.integers(0, 10**6)) * 10 + i), draw(st.sampled_from(users)))
        for i in range(size)
    ]


@st.composite
def states(draw: st.DrawFn, people: list[ref.Person]) -> tuple[int, UUID, datetime]:
    position = draw(st.integers(0, len(people) - 1))
    return position, people[position][0], draw(instants)


def _people(persons: list[ref.Person]) -> list[r.Participant]:
    return [r.Participant(pid, uid) for pid, uid in persons]


def _state(state: ref.RefState) -> r.State | None:
    return None if state is None else r.State(*state)


def _outcome(change: r.Change) -> ref.Outcome:
    """rotation.py's result in the reference's shapes."""
    state = change.state
    shaped: ref.RefState = (
        None if state is None else (state.position, state.participant_id, state.shift_start)
    )

    def person(p: r.Participant | None) -> ref.Person | None:
        return None if p is None else (p.id, p.user_id)

    return shaped, [
        (h.at, h.cause, person(h.from_participant), person(h.to_participant))  # type: ignore[misc]
        for h in change.handoffs
    ]


@SETTINGS
@given(grid=grids(), data=st.data())
def test_advance_matches_the_spec(grid: Grid, data: st.DataObject) -> None:
    people = data.draw(lists())
    state = data.draw(states(people))
    span = data.draw(st.timedeltas(timedelta(0), HORIZON[grid.type]))
    now = state[2] + span
    assert _outcome(r.advance(grid, r.State(*state), _people(people), now)) == ref.advance(
        grid, state, people, now
    )


@SETTINGS
@given(data=st.data(), now=instants)
def test_removing_a_participant_matches_the_spec(data: st.DataObject, now: datetime) -> None:
    people = data.draw(lists())
    state = data.draw(st.none() | states(people))
    index = data.draw(st.integers(0, len(people) - 1))
    assert _outcome(
        r.remove_participant(_state(state), _people(people), index, now)
    ) == ref.remove_participant(state, people, index, now)


@SETTINGS
@given(data=st.data(), now=instants)
def test_adding_a_participant_matches_the_spec(data: st.DataObject, now: datetime) -> None:
    before = data.draw(lists(min_size=0))
    state = data.draw(states(before)) if before else None
    after = [*before, (UUID(int=1), UUID(int=1))]
    assert _outcome(r.add_participant(_state(state), _people(after), now)) == ref.add_participant(
        state, after, now
    )


@SETTINGS
@given(data=st.data(), now=instants)
def test_replacing_the_list_matches_the_spec(data: st.DataObject, now: datetime) -> None:
    old = data.draw(lists())
    new = data.draw(lists(min_size=0))
    state = data.draw(st.none() | states(old))
    assert _outcome(
        r.replace_participants(_state(state), _people(old), _people(new), now)
    ) == ref.replace_participants(state, old, new, now)


@SETTINGS
@given(data=st.data(), now=instants)
def test_setting_the_active_participant_matches_the_spec(
    data: st.DataObject, now: datetime
) -> None:
    people = data.draw(lists())
    state = data.draw(states(people))
    index = data.draw(st.integers(0, len(people) - 1))
    assert _outcome(r.set_active(r.State(*state), _people(people), index, now)) == ref.set_active(
        state, people, index, now
    )


@SETTINGS
@given(data=st.data(), now=instants)
def test_editing_the_grid_matches_the_spec(data: st.DataObject, now: datetime) -> None:
    people = data.draw(lists())
    state = data.draw(st.none() | states(people))
    assert _outcome(r.edit_grid(_state(state), now)) == ref.edit_grid(state, now)
