"""The engines' catch-up (`state.settle`), pure: repairs first, then the walk to now.

What every writer and both engines do to a rotation before anything else (engine.md, "Every
writer catches up first"); with no overrides or scheduled changes it is rotation.reconcile,
then rotation.advance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st
from test_rotation import DAY, FIRST, GRID, T0, at, people

from handoff import rotation as r
from handoff.grid import Grid
from handoff.store import state


def settle(
    grid: Grid,
    current: r.State | None,
    participants: list[r.Participant],
    grid_changed_at: datetime,
    now: datetime,
) -> state.Settled:
    locked = state.Locked(
        id=uuid4(),
        name="ops",
        type=grid.type,
        shift_length=grid.shift_length,
        start=grid.start,
        time_zone=grid.time_zone,
        grid_changed_at=grid_changed_at,
        participants=[
            state.ParticipantRow(p.id, p.user_id, i, f"p{i}") for i, p in enumerate(participants)
        ],
        state=current,
        now=now,
    )
    return state.settle(locked, strict=True)


def test_settle_reconciles_then_advances() -> None:
    ps = people("ann", "bob", "cid")
    now = FIRST + DAY
    settled = settle(GRID, at(ps, 2, T0), ps[:2], T0 - DAY, now)
    assert [h.cause for h in settled.rows] == ["participant_removed", "boundary", "boundary"]
    assert settled.locked.state == at(ps, 0, FIRST + DAY)
    assert settle(GRID, None, [], T0, now).locked.state is None
    started = settle(GRID, None, ps, T0, T0)
    first_shift = r.State(0, ps[0].id, T0, first_shift=True)
    assert started.locked.state == first_shift and started.rows[0].cause == "started"


def test_settle_after_a_grid_edit_restarts_at_the_edit() -> None:
    ps = people("ann", "bob")
    edited = FIRST - timedelta(hours=1)  # edited just before the old boundary
    weekly = Grid("weekly", 1, datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "UTC")
    settled = settle(weekly, at(ps, 0, T0), ps, edited, FIRST + timedelta(minutes=1))
    assert settled.locked.state == at(ps, 0, edited) and settled.rows == ()
    assert state.next_run_at(settled.locked) == weekly.end_time(edited)
    assert state.next_run_at(settle(GRID, None, [], T0, T0).locked) is None


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Havana"]


@given(
    kind=st.sampled_from(["hourly", "daily", "weekly", "monthly"]),
    length=st.integers(1, 3),
    zone=st.sampled_from(ZONES),
    start_minutes=st.integers(-60 * 24 * 40, 0),
    names=st.lists(st.sampled_from(["ann", "bob", "cid"]), min_size=1, max_size=4),
    position=st.integers(0, 3),
    since_minutes=st.integers(0, 60 * 24 * 35),
    ahead_minutes=st.integers(0, 60 * 24 * 35),
)
@settings(max_examples=300, deadline=None)
def test_a_plain_rotation_is_caught_up_as_the_projection_would(
    kind: str,
    length: int,
    zone: str,
    start_minutes: int,
    names: list[str],
    position: int,
    since_minutes: int,
    ahead_minutes: int,
) -> None:
    """The shortcut for a rotation with no overrides or changes (rotation.advance) writes
    exactly what the projection's walk (oncall.catch_up) writes: state and rows."""
    grid = Grid(kind, length, T0 + timedelta(minutes=start_minutes), zone)
    ps = people(*names)  # a user may take part twice
    shift_start = max(grid.start, T0 - timedelta(minutes=since_minutes))
    locked = state.Locked(
        id=uuid4(),
        name="ops",
        type=kind,
        shift_length=length,
        start=grid.start,
        time_zone=zone,
        grid_changed_at=grid.start,
        participants=[state.ParticipantRow(p.id, p.user_id, i, p.id.hex) for i, p in enumerate(ps)],
        state=at(ps, position % len(ps), shift_start),
        now=T0 + timedelta(minutes=ahead_minutes),
        caught_up_at=shift_start,
    )
    assert state._plain(locked)
    assert state._advanced(locked) == state._walk(locked)
