"""Every rule of handoff.rotation (engine.md), pure: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_OID, uuid4, uuid5

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import rotation as r
from handoff.grid import Grid, GridType

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
GRID = Grid("daily", 1, datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "UTC")
FIRST = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # GRID.end_time(T0)


def people(*names: str) -> list[r.Participant]:
    """Participants whose user ids are derived from names, so a name is one person."""
    return [r.Participant(uuid4(), uuid5(NAMESPACE_OID, n)) for n in names]


def at(participants: list[r.Participant], position: int, shift_start: datetime) -> r.State:
    return r.State(position, participants[position].id, shift_start)


def test_start_puts_the_first_participant_on_call_now() -> None:
    ps = people("ann", "bob")
    change = r.start(ps, T0)
    assert change.state == first(ps, T0)
    assert change.handoffs == (r.Handoff(T0, "started", None, ps[0]),)
    assert r.start([], T0) == r.Change(None)


def test_advance_before_the_boundary_changes_nothing() -> None:
    ps = people("ann", "bob")
    state = at(ps, 0, T0)
    assert r.advance(GRID, state, ps, FIRST - timedelta(microseconds=1)) == r.Change(state)


def test_advance_at_the_boundary_hands_off() -> None:
    ps = people("ann", "bob")
    change = r.advance(GRID, at(ps, 0, T0), ps, FIRST)
    assert change.state == at(ps, 1, FIRST)
    assert change.handoffs == (r.Handoff(FIRST, "boundary", ps[0], ps[1]),)


@pytest.mark.parametrize("missed", [1, 2, 3, 7])
def test_catch_up_over_k_missed_boundaries(missed: int) -> None:
    ps = people("ann", "bob", "cid")
    now = FIRST + (missed - 1) * DAY + timedelta(hours=3)
    change = r.advance(GRID, at(ps, 0, T0), ps, now)
    assert [h.at for h in change.handoffs] == [FIRST + i * DAY for i in range(missed)]
    assert all(h.cause == "boundary" for h in change.handoffs)
    assert [h.to_participant for h in change.handoffs] == [ps[(i + 1) % 3] for i in range(missed)]
    assert change.state == at(ps, missed % 3, FIRST + (missed - 1) * DAY)


def test_advance_wraps_a_position_beyond_a_shortened_list() -> None:
    ps = people("ann", "bob")
    state = r.State(5, ps[1].id, T0)
    change = r.advance(GRID, state, ps, T0 + timedelta(minutes=1))
    assert change.state == at(ps, 1, T0)


def test_advance_without_participants_drops_the_state() -> None:
    assert r.advance(GRID, at(people("ann"), 0, T0), [], FIRST) == r.Change(None)


def test_participant_limit() -> None:
    r.check_participant_count(1000, 1000)
    with pytest.raises(r.RuleError, match="at most 1000"):
        r.check_participant_count(1001, 1000)


def test_adding_the_first_participant_starts_and_later_ones_move_nobody() -> None:
    ps = people("ann", "bob")
    assert r.add_participant(None, ps[:1], T0).state == first(ps, T0)
    state = at(ps, 0, T0)
    assert r.add_participant(state, ps, T0 + DAY) == r.Change(state)


def test_removing_the_active_participant_hands_on_the_rest_of_the_shift() -> None:
    ps = people("ann", "bob", "cid")
    now = T0 + timedelta(hours=1)
    change = r.remove_participant(at(ps, 1, T0), ps, 1, now)
    assert change.state == r.State(1, ps[2].id, T0)
    assert change.handoffs == (r.Handoff(now, "participant_removed", ps[1], ps[2]),)


def test_removing_the_active_last_participant_wraps_to_the_first() -> None:
    ps = people("ann", "bob", "cid")
    change = r.remove_participant(at(ps, 2, T0), ps, 2, T0)
    assert change.state == r.State(0, ps[0].id, T0)


def test_removing_another_participant_moves_nobody_and_closes_up() -> None:
    ps = people("ann", "bob", "cid")
    before = r.remove_participant(at(ps, 2, T0), ps, 0, T0)
    assert before.state == r.State(1, ps[2].id, T0) and before.handoffs == ()
    after = r.remove_participant(at(ps, 0, T0), ps, 2, T0)
    assert after.state == at(ps, 0, T0) and after.handoffs == ()


def test_removing_the_last_participant_deletes_the_state() -> None:
    ps = people("ann")
    assert r.remove_participant(at(ps, 0, T0), ps, 0, T0) == r.Change(None)


def test_removing_an_unknown_position_is_refused() -> None:
    with pytest.raises(r.RuleError):
        r.remove_participant(None, people("ann"), 3, T0)


def test_replacing_keeps_the_person_on_call_at_their_new_position() -> None:
    old = people("ann", "bob", "cid")
    new = [people("dan")[0], old[2], old[0]]
    change = r.replace_participants(at(old, 2, T0), old, new, T0 + DAY)
    assert change == r.Change(r.State(1, old[2].id, T0))


def test_replacing_with_duplicates_keeps_the_first_occurrence() -> None:
    old = people("ann", "bob")
    again = r.Participant(uuid4(), old[1].user_id)
    new = [old[0], again, old[1]]
    change = r.replace_participants(at(old, 1, T0), old, new, T0)
    assert change.state == r.State(1, again.id, T0)


def test_replacing_without_the_person_on_call_gives_the_old_index_wrapping() -> None:
    old = people("ann", "bob", "cid")
    new = people("dan", "eve")
    change = r.replace_participants(at(old, 2, T0), old, new, T0 + DAY)
    assert change.state == r.State(0, new[0].id, T0)
    assert change.handoffs == (r.Handoff(T0 + DAY, "participants_replaced", old[2], new[0]),)
    kept = r.replace_participants(at(old, 1, T0), old, new, T0)
    assert kept.state == r.State(1, new[1].id, T0)


def test_replacing_with_nothing_or_from_nothing() -> None:
    ps = people("ann")
    assert r.replace_participants(at(ps, 0, T0), ps, [], T0) == r.Change(None)
    assert r.replace_participants(None, [], ps, T0).state == first(ps, T0)


def test_set_active_hands_over_the_rest_of_the_shift() -> None:
    ps = people("ann", "bob", "cid")
    now = T0 + timedelta(hours=2)
    change = r.set_active(at(ps, 0, T0), ps, 2, now)
    assert change.state == r.State(2, ps[2].id, T0)
    assert change.handoffs == (r.Handoff(now, "manual", ps[0], ps[2]),)
    assert r.set_active(at(ps, 1, T0), ps, 1, now) == r.Change(at(ps, 1, T0))


def test_set_active_refuses_impossible_indexes() -> None:
    ps = people("ann", "bob")
    with pytest.raises(r.RuleError, match="between 0 and 1"):
        r.set_active(at(ps, 0, T0), ps, 2, T0)
    with pytest.raises(r.RuleError):
        r.set_active(None, [], 0, T0)


def test_editing_the_grid_restarts_the_shift_now() -> None:
    ps = people("ann", "bob")
    now = T0 + timedelta(hours=5)
    assert r.edit_grid(at(ps, 1, T0), now) == r.Change(at(ps, 1, now))
    assert r.edit_grid(None, now) == r.Change(None)


def test_reconcile_follows_a_moved_participant() -> None:
    ps = people("ann", "bob", "cid")
    moved = [ps[2], ps[0], ps[1]]
    change = r.reconcile(at(ps, 1, T0), moved, T0 - DAY, T0 + DAY)
    assert change == r.Change(r.State(2, ps[1].id, T0))


def test_reconcile_replaces_a_vanished_participant_by_position() -> None:
    ps = people("ann", "bob", "cid")
    now = T0 + DAY
    change = r.reconcile(at(ps, 2, T0), ps[:2], T0 - DAY, now)
    assert change.state == r.State(0, ps[0].id, T0)
    assert change.handoffs == (r.Handoff(now, "participant_removed", None, ps[0]),)


def test_reconcile_starts_drops_and_restarts_after_a_grid_edit() -> None:
    ps = people("ann")
    assert r.reconcile(None, ps, T0, T0).state == first(ps, T0)
    assert r.reconcile(at(ps, 0, T0), [], T0, T0) == r.Change(None)
    edited = T0 + timedelta(hours=1)
    assert r.reconcile(at(ps, 0, T0), ps, edited, edited + DAY).state == at(ps, 0, edited)
    assert r.reconcile(at(ps, 0, T0), ps, T0 - DAY, T0 + DAY).state == at(ps, 0, T0)


def test_shifts_project_the_engine_s_future() -> None:
    ps = people("ann", "bob")
    projected = r.shifts(GRID, at(ps, 0, T0), ps, FIRST + 2 * DAY)
    assert projected == [
        (ps[0], T0, FIRST),
        (ps[1], FIRST, FIRST + DAY),
        (ps[0], FIRST + DAY, FIRST + 2 * DAY),
    ]
    assert len(r.shifts(GRID, at(ps, 0, T0), ps, FIRST + 400 * DAY, limit=5)) == 5
    assert r.shifts(GRID, at(ps, 0, T0), ps, T0) == []


# The round-three start rule: a rotation created before its `start` (engine.md), known from
# the state's first-shift marker (State.first_shift), not from the instants.
WEEKLY = Grid("weekly", 1, datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "Europe/Berlin")  # Mon 09:00
CREATED = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 02:30 Berlin, the same Monday
WEEK = timedelta(days=7)


def first(ps: list[r.Participant], shift_start: datetime) -> r.State:
    """The state `start` makes: participant 0 on call in a first shift."""
    return r.State(0, ps[0].id, shift_start, first_shift=True)


def test_created_before_start_the_first_participant_owns_the_first_full_shift() -> None:
    ps = people("ann", "bob")
    started = r.start(ps, CREATED).state
    assert started == first(ps, CREATED)
    assert r.first_boundary(WEEKLY, CREATED, first_shift=True) == WEEKLY.start + WEEK
    # Nothing happens at `start`: Ann keeps the 6.5 hours before it and the week after it.
    assert r.advance(WEEKLY, started, ps, WEEKLY.start + WEEK - DAY) == r.Change(started)
    change = r.advance(WEEKLY, started, ps, WEEKLY.start + WEEK)
    assert change.handoffs == (r.Handoff(WEEKLY.start + WEEK, "boundary", ps[0], ps[1]),)
    # Crossing a boundary ends the first shift: the marker is gone.
    assert change.state == at(ps, 1, WEEKLY.start + WEEK)
    # From there on it is the plain grid: the next handoff one week later.
    later = r.advance(WEEKLY, at(ps, 1, WEEKLY.start + WEEK), ps, WEEKLY.start + 2 * WEEK)
    assert [h.at for h in later.handoffs] == [WEEKLY.start + 2 * WEEK]


def test_created_more_than_a_shift_before_start_still_owns_the_first_full_shift() -> None:
    """Created on the Monday for a start on Thursday: Ann is on call until Friday 09:00, no
    handoff on the grid's boundaries before `start` (the inference from the instants gave Bob
    Tuesday)."""
    daily = Grid("daily", 1, datetime(2026, 12, 10, 9, 0, tzinfo=UTC), "UTC")
    created = datetime(2026, 12, 7, 9, 20, tzinfo=UTC)
    ps = people("ann", "bob")
    started = r.start(ps, created).state
    assert started is not None and started.first_shift
    assert r.first_boundary(daily, created, first_shift=True) == daily.start + DAY
    assert r.advance(daily, started, ps, daily.start + DAY - MINUTE) == r.Change(started)
    change = r.advance(daily, started, ps, daily.start + 2 * DAY)
    assert [h.at for h in change.handoffs] == [daily.start + DAY, daily.start + 2 * DAY]
    assert r.handoffs_after(daily, created, 2) == [daily.start + DAY, daily.start + 2 * DAY]


def test_a_grid_edit_moving_start_into_the_future_hands_off_at_end_time_now() -> None:
    """engine.md: editing the grid keeps the person on call, `shift_start = now`, and the next
    handoff is `end_time(now)` on the new grid, even when the new `start` is ahead."""
    ps = people("ann", "bob")
    edited_at = datetime(2026, 12, 7, 9, 20, tzinfo=UTC)
    for before in (first(ps, CREATED), at(ps, 0, CREATED)):
        edited = r.edit_grid(before, edited_at).state
        assert edited == at(ps, 0, edited_at) and not edited.first_shift
    daily = Grid("daily", 1, datetime(2026, 12, 10, 9, 0, tzinfo=UTC), "UTC")
    edited = at(ps, 0, edited_at)
    assert r.first_boundary(daily, edited_at, first_shift=False) == daily.end_time(edited_at)
    change = r.advance(daily, edited, ps, daily.end_time(edited_at))
    assert [h.at for h in change.handoffs] == [datetime(2026, 12, 8, 9, 0, tzinfo=UTC)]
    # Within a shift of `start` too: the stub ends at `start`.
    stub = datetime(2026, 12, 9, 9, 20, tzinfo=UTC)
    assert r.first_boundary(daily, stub, first_shift=False) == daily.start
    assert r.first_boundary(daily, stub, first_shift=True) == daily.start + DAY
    # reconcile sees a grid edited after the shift began (plain SQL): the same.
    reconciled = r.reconcile(first(ps, CREATED), ps, edited_at, edited_at).state
    assert reconciled == at(ps, 0, edited_at)


def test_the_first_shift_marker_stays_with_the_rest_of_the_shift() -> None:
    """Handing the rest of a first shift on (set_active, a removal, a new list) keeps it a
    first shift: whoever holds it owns it through the first whole shift."""
    ps = people("ann", "bob", "cid")
    started = first(ps, CREATED)
    assert r.set_active(started, ps, 2, CREATED).state == r.State(2, ps[2].id, CREATED, True)
    assert r.remove_participant(started, ps, 0, CREATED).state == r.State(
        0, ps[1].id, CREATED, True
    )
    assert r.remove_participant(started, ps, 2, CREATED).state == started
    shuffled = [ps[2], ps[0]]
    assert r.replace_participants(started, ps, shuffled, CREATED).state == r.State(
        1, ps[0].id, CREATED, True
    )
    gone = r.replace_participants(started, ps, [ps[1]], CREATED).state
    assert gone == r.State(0, ps[1].id, CREATED, True)
    assert [s[1:] for s in r.shifts(WEEKLY, gone, [ps[1]], WEEKLY.start + WEEK)] == [
        (CREATED, WEEKLY.start + WEEK)
    ]


def test_created_at_or_after_start_hands_off_at_the_next_boundary_as_before() -> None:
    for created in (WEEKLY.start, WEEKLY.start + timedelta(hours=1)):
        for marked in (True, False):
            assert (
                r.first_boundary(WEEKLY, created, marked)
                == WEEKLY.end_time(created)
                == WEEKLY.start + WEEK
            )
    # A running rotation (shift_start on the grid) is unchanged.
    assert r.first_boundary(GRID, FIRST, False) == FIRST + DAY


def test_a_state_that_is_no_first_shift_keeps_end_time() -> None:
    """An imported GoAlert state (import.md) or a restarted shift before `start`: the grid's
    own next boundary."""
    daily = Grid("daily", 1, datetime(2026, 12, 10, 9, 0, tzinfo=UTC), "UTC")
    for began in (
        datetime(2026, 12, 7, 9, 20, tzinfo=UTC),
        datetime(2026, 12, 8, 9, 0, tzinfo=UTC),
    ):
        assert r.first_boundary(daily, began, False) == daily.end_time(began) < daily.start


def test_projection_and_previews_agree_with_the_engine_before_start() -> None:
    ps = people("ann", "bob")
    started = first(ps, CREATED)
    shifts = r.shifts(WEEKLY, started, ps, WEEKLY.start + 3 * WEEK)
    assert [(p, b, e) for p, b, e in shifts] == [
        (ps[0], CREATED, WEEKLY.start + WEEK),
        (ps[1], WEEKLY.start + WEEK, WEEKLY.start + 2 * WEEK),
        (ps[0], WEEKLY.start + 2 * WEEK, WEEKLY.start + 3 * WEEK),
    ]
    expected = [WEEKLY.start + k * WEEK for k in (1, 2, 3)]
    assert r.handoffs_after(WEEKLY, CREATED, 3) == expected
    assert r.handoffs_after(WEEKLY, CREATED, 0) == []
    # Created at or after `start`: the grid's own next boundaries.
    assert r.handoffs_after(WEEKLY, WEEKLY.start + DAY, 2) == expected[:2]
    assert r.handoffs_after(WEEKLY, WEEKLY.start, 2) == expected[:2]
    assert r.next_handoff(WEEKLY, started, CREATED) == expected[0]
    # A state the engine has not caught up yet: the next boundary after now.
    assert r.next_handoff(WEEKLY, started, expected[1] + DAY) == expected[2]
    # The same instants without the marker (a grid edit at CREATED): Monday 09:00.
    assert r.next_handoff(WEEKLY, at(ps, 0, CREATED), CREATED) == WEEKLY.start


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["hourly", "daily", "weekly", "monthly"]),
    st.integers(1, 3),
    st.sampled_from(["UTC", "America/Chicago", "Australia/Lord_Howe", "America/Sao_Paulo"]),
    st.integers(-3 * 24 * 60, 3 * 365 * 24 * 60),
    st.integers(1, 4),
    st.integers(0, 120 * 24 * 60),
    st.booleans(),
)
def test_skip_to_lands_where_advance_walks(
    kind: GridType, length: int, zone: str, offset: int, count: int, ahead: int, first: bool
) -> None:
    """Counting the boundaries lands on the state crossing each of them leaves, a moment
    before `until`: the same position and shift start, however far ahead."""
    grid = Grid(kind, length, datetime(2024, 1, 31, 9, 30, tzinfo=UTC), zone)
    ps = people(*"abcd"[:count])
    shift_start = grid.start + offset * MINUTE
    state = r.State(offset % count, ps[offset % count].id, shift_start, first)
    until = shift_start + ahead * MINUTE
    walked = r.advance(grid, state, ps, until - timedelta(microseconds=1)).state
    assert r.skip_to(grid, state, ps, until) == walked


def test_skip_to_across_a_skipped_day_and_three_centuries() -> None:
    apia = Grid("hourly", 5, datetime(2011, 12, 1, tzinfo=UTC), "Pacific/Apia")
    ps = people("ann", "bob", "cy")
    state = at(ps, 0, datetime(2011, 12, 1, tzinfo=UTC))
    until = datetime(2012, 1, 10, tzinfo=UTC)  # 30 December 2011 never happened in Apia
    walked = r.advance(apia, state, ps, until - timedelta(microseconds=1)).state
    assert r.skip_to(apia, state, ps, until) == walked
    far = r.skip_to(GRID, at(ps, 1, T0), ps, datetime(2300, 1, 1, 12, tzinfo=UTC))
    days = (datetime(2300, 1, 1, 9, tzinfo=UTC) - FIRST).days + 1  # daily at 09:00 UTC
    assert far == at(ps, (1 + days) % 3, datetime(2300, 1, 1, 9, tzinfo=UTC))
