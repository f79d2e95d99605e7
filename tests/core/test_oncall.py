"""The on-call projection (handoff.oncall) against oncall.md, pure: no database, no clock.

Properties compare it with `reference`, a brute-force walk minute by minute that applies each
rule where it happens; named cases cover the edge cases listed at the end of oncall.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_OID, NAMESPACE_URL, UUID, uuid5

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handoff.grid as grid_module
from handoff import oncall as oc
from handoff import rotation as r
from handoff.grid import Grid, wall_instant

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ANN, BO, CY, DEE = (uuid5(NAMESPACE_OID, name) for name in ("ann", "bo", "cy", "dee"))
COVER = uuid5(NAMESPACE_OID, "cover")  # a user who is in no rotation
USERS = [ANN, BO, CY, DEE]
ZONES = ["UTC", "Europe/Berlin", "America/Chicago", "Australia/Lord_Howe"]
# Days with a DST change in one of ZONES (spring and autumn, both hemispheres).
DST_DAYS = [
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 4, 5, tzinfo=UTC),
    datetime(2026, 10, 4, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
]
WINDOW = 36 * 60  # the fewest minutes projected per example
EDGE_CAUSES = ("override_started", "override_ended")


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def uid(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, name)


def members(*users: UUID) -> list[r.Participant]:
    return [r.Participant(uid(f"participant-{i}"), u) for i, u in enumerate(users)]


# --- the reference -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    config: oc.Config
    state: r.State | None
    participants: list[r.Participant]
    overrides: list[oc.Override]
    changes: list[oc.ScheduledChange]
    since: datetime
    until: datetime

    def args(self) -> tuple[oc.Inputs]:
        return (
            oc.Inputs(self.config, self.state, self.participants, self.overrides, self.changes),
        )


@dataclass(frozen=True)
class Minute:
    at: datetime
    user: UUID | None  # effective
    own: UUID | None
    participant: UUID | None  # the rotation's own participant id
    override: UUID | None
    boundary: bool  # a boundary was crossed at this minute


def on(
    ps: Sequence[r.Participant], position: int, shift_start: datetime, first_shift: bool = False
) -> r.State:
    return r.State(position, ps[position].id, shift_start, first_shift)


def reference_apply(
    config: oc.Config,
    state: r.State | None,
    ps: list[r.Participant],
    change: oc.ScheduledChange,
) -> tuple[oc.Config, r.State | None, list[r.Participant]]:
    """A PATCH at change.effective_at, field by field, by engine.md's words (written here
    again, not taken from handoff.rotation): a grid edit restarts the shift of the person on
    call; a new list keeps that person (their first place in it) or gives the shift to whoever
    is now at their position (wrapping); an empty list stops the rotation, a first list starts
    it; `active_index` hands the rest of the shift over."""
    at = change.effective_at
    edited = oc.Config(
        change.type or config.type,
        change.shift_length or config.shift_length,
        change.start or config.start,
        change.time_zone or config.time_zone,
    )
    if edited.grid() != config.grid() and state is not None:
        state = r.State(state.position, state.participant_id, at)
    config = edited
    if change.participants is not None:
        unused = list(ps)
        new: list[r.Participant] = []
        for i, user in enumerate(change.participants):
            same = [p for p in unused if p.user_id == user]
            new.append(same[0] if same else r.Participant(uuid5(change.id, str(i)), user))
            if same:
                unused.remove(same[0])
        if not new:
            state = None
        elif state is None:
            state = on(new, 0, at, first_shift=True)
        else:
            person = ps[state.position].user_id
            kept = [i for i, p in enumerate(new) if p.user_id == person]
            position = kept[0] if kept else state.position % len(new)
            state = on(new, position, state.shift_start, state.first_shift)
        ps = new
    if change.active_index is not None and state is not None and change.active_index < len(ps):
        state = on(ps, change.active_index, state.shift_start, state.first_shift)
    return config, state, ps


def reference_end(grid: Grid, state: r.State) -> datetime:
    """When the shift of `state` ends (engine.md): at the grid's next boundary, except that a
    first shift (the first participant became active) begun before the grid's start runs
    through the whole first shift after `start`, however far before it it began; a shift
    restarted by a grid edit does not."""
    if state.first_shift and state.shift_start < grid.start:
        return grid.end_time(grid.start)
    return grid.end_time(state.shift_start)


def reference(s: Scenario) -> list[Minute]:
    """Who is on call at each minute of [since, until), walking from the state's shift start:
    at each boundary the next participant in the list takes over (wrapping)."""
    config, state, ps = s.config, s.state, list(s.participants)
    pending = sorted(s.changes, key=lambda c: c.effective_at)
    t = s.since if state is None else state.shift_start
    result: list[Minute] = []
    while t < s.until:
        crossed = False
        while state is not None and (boundary := reference_end(config.grid(), state)) <= t:
            state, crossed = on(ps, (state.position + 1) % len(ps), boundary), True
        while pending and pending[0].effective_at <= t:
            config, state, ps = reference_apply(config, state, ps, pending.pop(0))
        participant = None if state is None else ps[state.position]
        own = None if participant is None else participant.user_id
        covers = [
            o
            for o in s.overrides
            if o.start <= t < o.end
            and (o.replaces_user_id is None or (own is not None and o.replaces_user_id == own))
        ]
        cover = max(covers, key=lambda o: o.start, default=None)
        user = own if cover is None else cover.user_id
        if t >= s.since:
            pid = None if participant is None else participant.id
            result.append(Minute(t, user, own, pid, None if cover is None else cover.id, crossed))
        t += MINUTE
    return result


# --- scenarios ---------------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(DST_DAYS)) + draw(st.integers(-1440, 1440)) * MINUTE
    window = draw(st.integers(WINDOW, 4 * WINDOW))  # 36 hours to 6 days
    kind = draw(st.sampled_from(["hourly", "daily", "monthly"]))
    length = draw(st.integers(1, {"hourly": 5, "daily": 2, "monthly": 1}[kind]))
    back = draw(st.integers(-2880, 4320)) * MINUTE  # a start ahead too: the first-shift rule
    if kind == "monthly":  # a grid start a month back, so that a boundary falls in the window
        back = timedelta(days=30) - draw(st.integers(0, window)) * MINUTE
    config = oc.Config(kind, length, base - back, zone)
    grid = config.grid()
    ps = members(*draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4)))
    position = draw(st.integers(0, len(ps) - 1))
    shift_start = grid.start_time(base) if draw(st.booleans()) else base
    state = r.State(position, ps[position].id, shift_start, draw(st.booleans()))
    until = shift_start + window * MINUTE

    def instant(earliest: datetime, spread: int) -> datetime:
        """A minute after `earliest`, often exactly on a boundary."""
        t = earliest + draw(st.integers(0, spread)) * MINUTE
        return grid.end_time(t - MINUTE) if draw(st.booleans()) else t

    overrides: list[oc.Override] = []
    cursor = shift_start - 120 * MINUTE
    for i in range(draw(st.integers(0, 3))):
        begin = instant(cursor, 600)
        end = max(instant(begin, 900), begin + MINUTE)
        user = draw(st.sampled_from([*USERS, COVER, None]))
        replaces = draw(st.sampled_from([None, None, *USERS]))
        overrides.append(oc.Override(uid(f"override-{i}"), begin, end, user, replaces))
        cursor = end
    changes: list[oc.ScheduledChange] = []
    for i in range(draw(st.integers(0, 2))):
        at = instant(shift_start, window)
        if any(c.effective_at == at for c in changes):
            continue
        listed = draw(st.none() | st.lists(st.sampled_from(USERS), max_size=4).map(tuple))
        changes.append(
            oc.ScheduledChange(
                uid(f"change-{i}"),
                at,
                type=draw(st.sampled_from([None, "hourly", "daily", "weekly"])),
                shift_length=draw(st.sampled_from([None, 1, 2, 3])),
                start=draw(st.none() | st.integers(-4320, 4320).map(lambda m: base + m * MINUTE)),
                time_zone=draw(st.sampled_from([None, *ZONES])),
                participants=listed,
                active_index=draw(st.sampled_from([None, 0, 1, 3])),
            )
        )
    return Scenario(config, state, ps, overrides, changes, shift_start, until)


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def effective_changes(minutes: Sequence[Minute]) -> dict[datetime, tuple[UUID | None, ...]]:
    return {
        m.at: (before.user, m.user)
        for before, m in itertools.pairwise(minutes)
        if m.user != before.user
    }


# --- properties --------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios())
def test_segments_match_the_minute_by_minute_reference(s: Scenario) -> None:
    pieces = oc.segments(*s.args(), s.since, s.until)
    assert pieces[0].start == s.since and pieces[-1].end == s.until
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    minutes = iter(reference(s))
    for piece in pieces:
        t = piece.start
        while t < piece.end:
            m = next(minutes)
            assert m.at == t
            pid = None if piece.participant is None else piece.participant.id
            assert (piece.user_id, piece.rotation_user_id, pid, piece.override_id) == (
                m.user,
                m.own,
                m.participant,
                m.override,
            ), t
            t += MINUTE
    # A piece ends at every instant of the walk but one where only override edges happen
    # and nothing changes (a conditional override whose person is not on call).
    by_minute = {m.at: (m.user, m.own, m.participant, m.override) for m in reference(s)}
    instants: dict[datetime, set[str]] = {}
    for e in oc.events(*s.args(), s.since, s.until - MINUTE):
        instants.setdefault(e.at, set()).add(e.cause)
    split_at = {
        at
        for at, causes in instants.items()
        if not causes <= set(EDGE_CAUSES) or by_minute.get(at - MINUTE) != by_minute[at]
    }
    assert {p.start for p in pieces[1:]} == split_at


@PROPERTY_SETTINGS
@given(scenarios())
def test_events_match_the_reference(s: Scenario) -> None:
    rows = oc.events(*s.args(), s.since, s.until - MINUTE)
    minutes = reference(s)
    assert [e.at for e in rows] == sorted(e.at for e in rows)
    effective = [e for e in rows if e.effective]
    assert {e.at: (e.effective_from, e.effective_to) for e in effective} == effective_changes(
        minutes
    )
    assert len({e.at for e in effective}) == len(effective)
    boundaries = [e.at for e in rows if e.cause == "boundary"]
    assert boundaries == [m.at for m in minutes if m.boundary and m.at > s.since]
    assert [(e.at, e.change_id) for e in rows if e.cause == "scheduled_change"] == sorted(
        (c.effective_at, c.id) for c in s.changes if s.since < c.effective_at < s.until
    )
    edges = sorted(
        (t, o.id, cause)
        for o in s.overrides
        for t, cause in ((o.start, "override_started"), (o.end, "override_ended"))
        if s.since < t < s.until
    )
    assert sorted((e.at, e.override_id, e.cause) for e in rows if e.cause in EDGE_CAUSES) == edges


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, WINDOW - 1))
def test_catch_up_in_two_runs_equals_one_and_wakes_at_the_next_event(
    s: Scenario, split: int
) -> None:
    now = s.until - MINUTE
    middle = s.since + split * MINUTE
    whole = oc.catch_up(*s.args(), now, after=s.since)
    # A change due at shift_start is pending, so catch_up applies it; the walk starts there.
    assert list(whole.events) == [
        e
        for e in oc.events(*s.args(), s.since - MINUTE, now)
        if e.cause in ("boundary", "scheduled_change") or e.at > s.since
    ]
    first = oc.catch_up(*s.args(), middle, after=s.since)
    done = {a.change_id for a in first.applied}
    pending = [c for c in s.changes if c.id not in done]
    wake = oc.next_wake(
        oc.Inputs(first.config, first.state, first.participants, s.overrides, pending), middle
    )
    following = [e.at for e in whole.events if e.at > middle]
    if following:
        assert wake == following[0]
    else:
        assert wake is None or wake > now
    second = oc.catch_up(
        oc.Inputs(first.config, first.state, first.participants, s.overrides, pending),
        now,
        after=middle,
    )
    assert (second.config, second.state, second.participants) == (
        whole.config,
        whole.state,
        whole.participants,
    )
    assert first.events + second.events == whole.events
    assert first.applied + second.applied == whole.applied
    own = None if whole.state is None else whole.participants[whole.state.position].user_id
    assert own == reference(s)[-1].own


GRID_TYPES = ["hourly", "daily", "weekly", "monthly"]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(GRID_TYPES),
    st.integers(1, 3),
    st.sampled_from([*ZONES, "Asia/Tehran", "America/Sao_Paulo"]),
    st.integers(0, 5 * 365 * 24 * 60),
    st.integers(1, 4),
    st.integers(0, 40),
    st.floats(0, 1),
)
def test_without_overrides_or_changes_catch_up_is_advance(
    kind: str, length: int, zone: str, offset: int, count: int, missed: int, part: float
) -> None:
    config = oc.Config(kind, length, datetime(2024, 1, 31, 9, 30, tzinfo=UTC), zone)
    grid = config.grid()
    ps = members(*USERS[:count])
    shift_start = config.start + offset * MINUTE
    state = r.State(offset % count, ps[offset % count].id, shift_start)
    boundaries = grid.next_handoffs(shift_start, missed + 1)
    now = boundaries[-1] - (boundaries[-1] - max(boundaries[-2:-1] or [shift_start])) * part
    result = oc.catch_up(oc.Inputs(config, state, ps, [], []), now, after=shift_start)
    change = r.advance(grid, state, ps, now)
    assert result.state == change.state
    assert [(e.at, e.from_participant, e.to_participant) for e in result.events] == [
        (h.at, h.from_participant, h.to_participant) for h in change.handoffs
    ]
    assert all(e.cause == "boundary" and e.effective == (count > 1) for e in result.events)
    assert oc.next_wake(oc.Inputs(config, result.state, ps, [], []), now) == (
        None if result.state is None else grid.end_time(result.state.shift_start)
    )
    pieces = oc.segments(oc.Inputs(config, state, ps, [], []), shift_start, now)
    assert [(p.participant, p.start, p.end) for p in pieces] == [
        (p, start, min(end, now)) for p, start, end in r.shifts(grid, state, ps, now)
    ]


# --- named cases (oncall.md, "Edge cases the tests must cover") --------------------------------

DAILY = oc.Config("daily", 1, utc(1, 1, 9), "UTC")  # hands off at 09:00 UTC every day
TEAM = members(ANN, BO, CY)
C = uid("C")  # the covering override in each case


def override(
    start: datetime, end: datetime, user: UUID | None = COVER, replaces: UUID | None = None
) -> oc.Override:
    return oc.Override(C, start, end, user, replaces)


Row = tuple[datetime, str, UUID | None, UUID | None, bool]


def rows(found: Sequence[oc.Event]) -> list[Row]:
    return [(e.at, e.cause, e.from_user_id, e.to_user_id, e.effective) for e in found]


def timeline(
    found: Sequence[oc.Segment],
) -> list[tuple[datetime, datetime, UUID | None, UUID | None]]:
    return [(s.start, s.end, s.user_id, s.rotation_user_id) for s in found]


def test_override_across_a_dst_change() -> None:
    """Berlin springs forward at 02:00 CET (01:00 UTC) on 29 March 2026: 01:30 -> 04:00 wall."""
    hourly = oc.Config("hourly", 1, datetime(2026, 3, 28, 23, tzinfo=UTC), "Europe/Berlin")
    ps = members(ANN, BO)
    state = on(ps, 0, datetime(2026, 3, 28, 23, tzinfo=UTC))  # 00:00 CET
    # Entered as wall time in the rotation's zone, 01:30 to 04:00: 2 h 30 on the wall, 1 h 30 long.
    cover = override(
        wall_instant("Europe/Berlin", datetime(2026, 3, 29, 1, 30)),
        wall_instant("Europe/Berlin", datetime(2026, 3, 29, 4)),
    )
    since, until = datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 3, tzinfo=UTC)
    found = oc.segments(oc.Inputs(hourly, state, ps, [cover], []), since, until)
    t = lambda hour, minute=0: datetime(2026, 3, 29, hour, minute, tzinfo=UTC)  # noqa: E731
    assert timeline(found) == [
        (since, t(0), ANN, ANN),  # 00:00-01:00 CET
        (t(0), t(0, 30), BO, BO),  # 01:00-01:30 CET
        (t(0, 30), t(1), COVER, BO),  # 01:30 CET-03:00 CEST: 02:00 does not exist
        (t(1), t(2), COVER, ANN),  # 03:00-04:00 CEST
        (t(2), t(3), BO, BO),
    ]
    # A time in the gap is the first instant after it: an override from 02:30 starts at 03:00.
    in_gap = override(wall_instant("Europe/Berlin", datetime(2026, 3, 29, 2, 30)), t(2))
    assert oc.on_call_at(oc.Inputs(hourly, state, ps, [in_gap], []), t(0, 59)) == oc.OnCall(
        BO, ps[1], BO, None
    )
    assert oc.on_call_at(oc.Inputs(hourly, state, ps, [in_gap], []), t(1)) == oc.OnCall(
        COVER, ps[0], ANN, C
    )
    assert rows(oc.events(oc.Inputs(hourly, state, ps, [cover], []), since, until)) == [
        (t(0), "boundary", ANN, BO, True),
        (t(0, 30), "override_started", BO, COVER, True),
        (t(1), "boundary", BO, ANN, False),  # inside the override: recorded, not effective
        (t(2), "boundary", ANN, BO, False),
        (t(2), "override_ended", COVER, BO, True),
        (t(3), "boundary", BO, ANN, True),
    ]


def test_override_starting_and_ending_exactly_on_boundaries() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    cover = override(utc(3, 3, 9), utc(3, 4, 9))  # exactly Bo's shift
    args = (oc.Inputs(DAILY, state, TEAM, [cover], []),)
    found = oc.events(*args, utc(3, 2, 9), utc(3, 4, 9))
    assert rows(found) == [
        (utc(3, 3, 9), "boundary", ANN, BO, False),  # Bo is never effectively on call
        (utc(3, 3, 9), "override_started", BO, COVER, True),
        (utc(3, 4, 9), "boundary", BO, CY, False),
        (utc(3, 4, 9), "override_ended", COVER, CY, True),
    ]
    assert [(e.effective_from, e.effective_to) for e in found if e.effective] == [
        (ANN, COVER),
        (COVER, CY),
    ]
    assert [e.override_id for e in found] == [None, C, C, C]  # who decides after each step
    assert timeline(oc.segments(*args, utc(3, 2, 9), utc(3, 5, 9))) == [
        (utc(3, 2, 9), utc(3, 3, 9), ANN, ANN),
        (utc(3, 3, 9), utc(3, 4, 9), COVER, BO),
        (utc(3, 4, 9), utc(3, 5, 9), CY, CY),
    ]
    # The override moved nobody: the rotation is where advance puts it.
    caught = oc.catch_up(*args, utc(3, 4, 10), after=utc(3, 2, 9))
    assert caught.state == r.advance(DAILY.grid(), state, TEAM, utc(3, 4, 10)).state


def test_conditional_override_whose_user_is_on_call_for_only_part_of_it() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    cover = override(utc(3, 2, 20), utc(3, 3, 20), replaces=ANN)  # Ann until 09:00, then Bo
    args = (oc.Inputs(DAILY, state, TEAM, [cover], []),)
    found = oc.segments(*args, utc(3, 2, 9), utc(3, 4, 0))
    assert [(s.start, s.user_id, s.override_id) for s in found] == [
        (utc(3, 2, 9), ANN, None),
        (utc(3, 2, 20), COVER, C),
        (utc(3, 3, 9), BO, None),  # in force, but Bo is not the one it replaces
    ]  # not split at the override's end: nothing changes there (issue 23 item 4)
    assert rows(oc.events(*args, utc(3, 2, 9), utc(3, 4, 0))) == [
        (utc(3, 2, 20), "override_started", ANN, COVER, True),
        (utc(3, 3, 9), "boundary", ANN, BO, True),  # the override switches off here
        (utc(3, 3, 20), "override_ended", BO, BO, False),
    ]
    # The other way round: it switches on at a boundary inside it.
    later = override(utc(3, 2, 20), utc(3, 3, 20), replaces=BO)
    found_events = oc.events(oc.Inputs(DAILY, state, TEAM, [later], []), utc(3, 2, 9), utc(3, 4, 0))
    assert rows(found_events) == [
        (utc(3, 2, 20), "override_started", ANN, ANN, False),
        (utc(3, 3, 9), "boundary", ANN, BO, True),
        (utc(3, 3, 20), "override_ended", COVER, BO, True),
    ]
    assert (found_events[1].effective_to, found_events[1].override_id) == (COVER, C)
    assert oc.on_call_at(oc.Inputs(DAILY, state, TEAM, [later], []), utc(3, 3, 12)) == oc.OnCall(
        COVER, TEAM[1], BO, C
    )


def test_removing_the_covered_participant_while_an_override_is_in_force() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    change = oc.ScheduledChange(uid("drop Ann"), utc(3, 2, 15), participants=(BO, CY))
    plain = override(utc(3, 2, 10), utc(3, 2, 22))
    assert rows(
        oc.events(oc.Inputs(DAILY, state, TEAM, [plain], [change]), utc(3, 2, 9), utc(3, 3, 0))
    ) == [
        (utc(3, 2, 10), "override_started", ANN, COVER, True),
        (utc(3, 2, 15), "scheduled_change", ANN, BO, False),  # still covered
        (utc(3, 2, 22), "override_ended", COVER, BO, True),  # Bo resumes, not Ann
    ]
    conditional = override(utc(3, 2, 10), utc(3, 2, 22), replaces=ANN)
    found = oc.events(
        oc.Inputs(DAILY, state, TEAM, [conditional], [change]), utc(3, 2, 9), utc(3, 3, 0)
    )
    assert rows(found) == [
        (utc(3, 2, 10), "override_started", ANN, COVER, True),
        (utc(3, 2, 15), "scheduled_change", ANN, BO, True),  # it replaced Ann, who is gone
        (utc(3, 2, 22), "override_ended", BO, BO, False),
    ]
    assert (found[1].effective_from, found[1].effective_to, found[1].change_id) == (
        COVER,
        BO,
        change.id,
    )
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [conditional], [change]), utc(3, 2, 23), after=utc(3, 2, 9)
    )
    assert caught.participants == (TEAM[1], TEAM[2])  # Bo and Cy keep their participant ids
    assert caught.state == r.State(0, TEAM[1].id, utc(3, 2, 9))  # shift_start unchanged


def test_scheduled_change_at_a_boundary_crosses_the_boundary_first() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    back = oc.ScheduledChange(uid("Ann again"), utc(3, 3, 9), active_index=0)
    found = oc.events(oc.Inputs(DAILY, state, TEAM, [], [back]), utc(3, 2, 9), utc(3, 3, 9))
    assert rows(found) == [
        (utc(3, 3, 9), "boundary", ANN, BO, False),
        (utc(3, 3, 9), "scheduled_change", BO, ANN, False),  # net: Ann stays on
    ]
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [], [back]), utc(3, 3, 9), after=utc(3, 2, 9)
    )
    assert caught.state == on(TEAM, 0, utc(3, 3, 9))
    # "Change the frequency at the next handoff without disturbing the current shift."
    weekly = oc.ScheduledChange(uid("weekly"), utc(3, 3, 9), type="weekly", start=utc(3, 3, 9))
    found_segments = oc.segments(
        oc.Inputs(DAILY, state, TEAM, [], [weekly]), utc(3, 2, 9), utc(3, 18, 9)
    )
    assert [(s.start, s.user_id, s.change_id) for s in found_segments] == [
        (utc(3, 2, 9), ANN, None),
        (utc(3, 3, 9), BO, weekly.id),
        (utc(3, 10, 9), CY, None),
        (utc(3, 17, 9), ANN, None),
    ]


def test_scheduled_change_that_removes_the_person_on_call() -> None:
    state = on(TEAM, 1, utc(3, 2, 9))  # Bo
    change = oc.ScheduledChange(uid("new roster"), utc(3, 2, 15), participants=(ANN, CY, DEE, ANN))
    args = (oc.Inputs(DAILY, state, TEAM, [], [change]),)
    assert rows(oc.events(*args, utc(3, 2, 9), utc(3, 3, 9))) == [
        (utc(3, 2, 15), "scheduled_change", BO, CY, True),  # the one at Bo's old index
        (utc(3, 3, 9), "boundary", CY, DEE, True),
    ]
    caught = oc.catch_up(*args, utc(3, 2, 15), after=utc(3, 2, 9))
    assert caught.participants == (
        TEAM[0],
        TEAM[2],
        r.Participant(uuid5(change.id, "2"), DEE),
        r.Participant(uuid5(change.id, "3"), ANN),  # Ann's id is used once
    )
    assert caught.state == r.State(1, TEAM[2].id, utc(3, 2, 9))
    assert caught.applied == (oc.Applied(change.id, utc(3, 2, 15)),)


def test_change_and_override_edges_at_the_same_instant() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    to_bo = oc.ScheduledChange(uid("to Bo"), utc(3, 2, 15), active_index=1)
    ending = oc.Override(uid("ending"), utc(3, 2, 10), utc(3, 2, 15), COVER, None)
    starting = oc.Override(uid("starting"), utc(3, 2, 15), utc(3, 2, 18), DEE, None)
    found = oc.events(
        oc.Inputs(DAILY, state, TEAM, [starting, ending], [to_bo]), utc(3, 2, 12), utc(3, 2, 15)
    )
    assert rows(found) == [
        (utc(3, 2, 15), "scheduled_change", ANN, BO, False),
        (utc(3, 2, 15), "override_ended", COVER, BO, False),
        (utc(3, 2, 15), "override_started", BO, DEE, True),
    ]
    assert {(e.effective_from, e.effective_to) for e in found} == {(COVER, DEE)}
    assert [e.override_id for e in found] == [ending.id, ending.id, starting.id]
    only_end = oc.events(
        oc.Inputs(DAILY, state, TEAM, [ending], [to_bo]), utc(3, 2, 12), utc(3, 2, 15)
    )
    assert rows(only_end) == [
        (utc(3, 2, 15), "scheduled_change", ANN, BO, False),
        (utc(3, 2, 15), "override_ended", COVER, BO, True),
    ]


def test_catch_up_over_three_days_with_changes_and_overrides() -> None:
    ps = members(ANN, BO)
    state = on(ps, 0, utc(3, 2, 9))
    cover = oc.Override(uid("cover"), utc(3, 2, 12), utc(3, 2, 18), COVER, None)
    dee = oc.Override(uid("Dee for Bo"), utc(3, 3, 0), utc(3, 5, 0), DEE, BO)
    add_cy = oc.ScheduledChange(uid("add Cy"), utc(3, 3, 15), participants=(ANN, BO, CY))
    bo_again = oc.ScheduledChange(uid("Bo again"), utc(3, 4, 9), active_index=1)
    args = (oc.Inputs(DAILY, state, ps, [dee, cover], [bo_again, add_cy]),)
    caught = oc.catch_up(*args, utc(3, 5, 12), after=utc(3, 2, 9))
    assert [(e.at, e.cause, e.from_user_id, e.to_user_id, e.effective) for e in caught.events] == [
        (utc(3, 2, 12), "override_started", ANN, COVER, True),
        (utc(3, 2, 18), "override_ended", COVER, ANN, True),
        (utc(3, 3, 0), "override_started", ANN, ANN, False),  # Dee covers Bo, not Ann
        (utc(3, 3, 9), "boundary", ANN, BO, True),  # ... so Dee is on call from here
        (utc(3, 3, 15), "scheduled_change", BO, BO, False),  # Bo stays on at position 1
        (utc(3, 4, 9), "boundary", BO, CY, False),
        (utc(3, 4, 9), "scheduled_change", CY, BO, False),  # back to Bo: Dee still covers
        (utc(3, 5, 0), "override_ended", DEE, BO, True),
        (utc(3, 5, 9), "boundary", BO, CY, True),
    ]
    cy = r.Participant(uuid5(add_cy.id, "2"), CY)
    assert caught.participants == (ps[0], ps[1], cy)
    assert caught.state == r.State(2, cy.id, utc(3, 5, 9))
    assert caught.applied == (
        oc.Applied(add_cy.id, utc(3, 3, 15)),
        oc.Applied(bo_again.id, utc(3, 4, 9)),
    )
    # The same, one day at a time, as an engine that wakes every day would record it.
    config, current, listed, pending, last = (
        DAILY,
        state,
        tuple(ps),
        [bo_again, add_cy],
        utc(3, 2, 9),
    )
    recorded: list[oc.Event] = []
    for day in (3, 4, 5):
        step = oc.catch_up(
            oc.Inputs(config, current, listed, [dee, cover], pending), utc(3, day, 12), after=last
        )
        config, current, listed, last = step.config, step.state, step.participants, utc(3, day, 12)
        pending = [c for c in pending if c.id not in {a.change_id for a in step.applied}]
        recorded += step.events
    assert (tuple(recorded), current, listed) == (caught.events, caught.state, caught.participants)


def test_an_impossible_change_is_applied_as_far_as_it_can_be() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    everyone_gone = oc.ScheduledChange(uid("gone"), utc(3, 2, 15), participants=(), active_index=0)
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [], [everyone_gone]), utc(3, 5, 0), after=utc(3, 2, 9)
    )
    assert (caught.state, caught.participants) == (None, ())
    assert caught.applied == (
        oc.Applied(
            everyone_gone.id, utc(3, 2, 15), "active_index: the rotation has no participants"
        ),
    )
    assert rows(caught.events) == [(utc(3, 2, 15), "scheduled_change", ANN, None, True)]
    bad_zone = oc.ScheduledChange(
        uid("bad zone"), utc(3, 2, 15), time_zone="Mars/Base", participants=(BO,)
    )
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [], [bad_zone]), utc(3, 2, 16), after=utc(3, 2, 9)
    )
    assert caught.config == DAILY
    assert caught.participants == (TEAM[1],)
    [applied] = caught.applied
    assert applied.skipped is not None and applied.skipped.startswith("grid: unknown time zone")


def test_a_change_left_behind_by_a_writer_applies_at_shift_start() -> None:
    """A pending change due before shift_start never moves the rotation back in time."""
    state = on(TEAM, 0, utc(3, 2, 9))
    overdue = oc.ScheduledChange(uid("overdue"), utc(3, 2, 8), active_index=2)
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [], [overdue]), utc(3, 2, 10), after=utc(3, 2, 9)
    )
    assert rows(caught.events) == [(utc(3, 2, 9), "scheduled_change", ANN, CY, True)]
    assert caught.state == on(TEAM, 2, utc(3, 2, 9))


def test_catch_up_reports_override_edges_only_after_the_last_run() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    cover = override(utc(3, 2, 10), utc(3, 2, 12))
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [cover], []), utc(3, 2, 13), after=utc(3, 2, 11)
    )
    assert rows(caught.events) == [(utc(3, 2, 12), "override_ended", COVER, ANN, True)]


def test_an_edge_at_shift_start_left_behind_by_a_writer_is_recorded_after_the_boundary() -> None:
    """A writer crossed the 09:00 boundary (Ann -> Bo) before the override starting then ran."""
    state = on(TEAM, 1, utc(3, 3, 9))
    cover = override(utc(3, 3, 9), utc(3, 3, 12))
    caught = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [cover], []), utc(3, 3, 10), after=utc(3, 3, 8)
    )
    assert rows(caught.events) == [(utc(3, 3, 9), "override_started", BO, COVER, True)]
    # Once the run at 09:00 recorded it, it is not recorded again.
    again = oc.catch_up(
        oc.Inputs(DAILY, state, TEAM, [cover], []), utc(3, 3, 10), after=utc(3, 3, 9)
    )
    assert again.events == ()


def test_without_participants_only_unconditional_overrides_put_someone_on_call() -> None:
    nobody = [
        oc.Override(uid("plain"), utc(3, 2, 10), utc(3, 2, 12), COVER, None),
        oc.Override(uid("conditional"), utc(3, 2, 12), utc(3, 2, 14), DEE, ANN),
    ]
    found = oc.segments(oc.Inputs(DAILY, None, [], nobody, []), utc(3, 2, 9), utc(3, 2, 15))
    assert [(s.start, s.user_id, s.participant) for s in found] == [
        (utc(3, 2, 9), None, None),
        (utc(3, 2, 10), COVER, None),
        (utc(3, 2, 12), None, None),  # the conditional one decides nothing: no split at 14:00
    ]
    # A scheduled change can bring the rotation to life: participant 0 starts at once.
    start = oc.ScheduledChange(uid("start"), utc(3, 2, 13), participants=(BO, CY))
    caught = oc.catch_up(
        oc.Inputs(DAILY, None, [], nobody, [start]), utc(3, 3, 10), after=utc(3, 2, 9)
    )
    bo = r.Participant(uuid5(start.id, "0"), BO)
    assert caught.state == r.State(1, uuid5(start.id, "1"), utc(3, 3, 9))
    assert rows(caught.events) == [
        (utc(3, 2, 10), "override_started", None, COVER, True),
        (utc(3, 2, 12), "override_ended", COVER, None, True),
        (utc(3, 2, 12), "override_started", None, None, False),
        (utc(3, 2, 13), "scheduled_change", None, BO, True),
        (utc(3, 2, 14), "override_ended", BO, BO, False),
        (utc(3, 3, 9), "boundary", BO, CY, True),
    ]
    assert caught.events[3].to_participant == bo


def test_next_wake_is_the_earliest_handoff_edge_or_change() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    base = (DAILY, state, TEAM)
    assert oc.next_wake(oc.Inputs(*base, [], []), utc(3, 2, 10)) == utc(3, 3, 9)
    # every edge, even of a conditional override whose user is not on call
    past = override(utc(3, 2, 9, 30), utc(3, 2, 10), replaces=CY)
    idle = oc.Override(uid("idle"), utc(3, 2, 11), utc(3, 2, 12), COVER, CY)
    assert oc.next_wake(oc.Inputs(*base, [past, idle], []), utc(3, 2, 10)) == utc(3, 2, 11)
    assert oc.next_wake(oc.Inputs(*base, [past, idle], []), utc(3, 2, 11)) == utc(3, 2, 12)
    change = oc.ScheduledChange(uid("c"), utc(3, 2, 10, 30), shift_length=2)
    assert oc.next_wake(oc.Inputs(*base, [idle], [change]), utc(3, 2, 10)) == utc(3, 2, 10, 30)
    overdue = oc.ScheduledChange(uid("o"), utc(3, 2, 9, 30), shift_length=2)
    assert oc.next_wake(oc.Inputs(*base, [], [overdue]), utc(3, 2, 10)) == utc(
        3, 2, 9, 30
    )  # run now
    assert oc.next_wake(oc.Inputs(DAILY, None, [], [idle], []), utc(3, 2, 10)) == utc(3, 2, 11)
    assert oc.next_wake(oc.Inputs(DAILY, None, [], [idle], []), utc(3, 2, 12)) is None


def test_on_call_at() -> None:
    state = on(TEAM, 0, utc(3, 2, 9))
    gap = oc.Override(uid("nobody"), utc(3, 2, 10), utc(3, 2, 11), None, None)
    args = (oc.Inputs(DAILY, state, TEAM, [gap], []),)
    assert oc.on_call_at(*args, utc(3, 2, 8)) is None  # before the state: the history's
    assert oc.on_call_at(*args, utc(3, 2, 9)) == oc.OnCall(ANN, TEAM[0], ANN, None)
    assert oc.on_call_at(*args, utc(3, 2, 10)) == oc.OnCall(None, TEAM[0], ANN, gap.id)
    assert oc.on_call_at(*args, utc(3, 2, 11)) == oc.OnCall(ANN, TEAM[0], ANN, None)
    assert oc.on_call_at(*args, utc(3, 5, 9)) == oc.OnCall(ANN, TEAM[0], ANN, None)


def test_segments_are_bounded_by_limit() -> None:
    hourly = oc.Config("hourly", 1, utc(1, 1), "UTC")
    found = oc.segments(
        oc.Inputs(hourly, on(TEAM, 0, utc(3, 2)), TEAM, [], []), utc(3, 2), utc(4, 2), limit=5
    )
    assert [s.start for s in found] == [utc(3, 2, h) for h in range(5)]


@PROPERTY_SETTINGS
@given(scenarios(), st.floats(0, 1))
def test_a_window_that_starts_later_skips_to_it_and_matches_the_reference(
    s: Scenario, part: float
) -> None:
    """The walk starts at the last boundary before `since` that no edge or change precedes
    (rotation.skip_to): the pieces are those of the reference from `since` on, and with
    `ends_by` those of the walk from `shift_start`, whole."""
    since = s.since + (s.until - s.since) * part // MINUTE * MINUTE
    if since >= s.until:
        return
    pieces = oc.segments(*s.args(), since, s.until)
    by_minute = {m.at: m for m in reference(s)}
    for piece in pieces:
        t = piece.start
        while t < piece.end:
            m = by_minute[t]
            assert (piece.user_id, piece.rotation_user_id, piece.override_id) == (
                m.user,
                m.own,
                m.override,
            ), t
            t += MINUTE
    assert pieces[0].start == since and pieces[-1].end == s.until
    whole = oc.segments(*s.args(), since, s.until, ends_by=s.until + 400 * DAY)
    walked = oc.segments(*s.args(), s.since, whole[-1].end)
    assert whole == [p for p in walked if p.end > since]


def test_on_call_three_centuries_ahead_does_not_walk_each_shift(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Who is on call in 2300 in an hourly rotation: the projection counts the 2.4 million
    boundaries on the way (grid.handoffs_between) instead of crossing each. Counted, not
    timed: at most a few boundaries are resolved, where walking resolves one per hour (the
    count stops such a walk at 1,000)."""
    resolved = [0]
    original = grid_module._resolve

    def counting(*args: Any) -> datetime:
        resolved[0] += 1
        if resolved[0] > 1000:
            raise AssertionError("the projection walks the grid")
        return original(*args)

    monkeypatch.setattr(grid_module, "_resolve", counting)
    hourly = oc.Config("hourly", 1, utc(1, 1), "UTC")
    at = datetime(2300, 1, 1, 12, 30, tzinfo=UTC)
    cover = oc.Override(uid("past"), utc(3, 2, 1), utc(3, 2, 2), COVER)  # walked, then skipped
    found = oc.on_call_at(oc.Inputs(hourly, on(TEAM, 0, utc(3, 2)), TEAM, [cover], []), at)
    crossed = (at - utc(3, 2)) // HOUR  # every whole hour in UTC
    person = TEAM[crossed % len(TEAM)]
    assert found == oc.OnCall(person.user_id, person, person.user_id, None)
    assert resolved[0] <= 20


def test_a_window_after_a_first_shift_begun_before_start_counts_from_its_end() -> None:
    """A first shift begun before the grid's start runs to the end of the first whole shift
    (rotation.first_boundary): a window inside it, or in the shift after it, sees the
    handoffs counted from that end (the skip keeps the first-shift rule)."""
    daily = oc.Config("daily", 1, utc(3, 5, 9), "UTC")
    pair = members(ANN, BO)
    state = on(pair, 0, utc(3, 2, 12), first_shift=True)  # created three days before start
    first_end, second_end = utc(3, 6, 9), utc(3, 7, 9)
    inside = oc.segments(oc.Inputs(daily, state, pair, [], []), utc(3, 5, 10), utc(3, 7))
    assert [(p.participant, p.start, p.end) for p in inside] == [
        (pair[0], utc(3, 5, 10), first_end),
        (pair[1], first_end, utc(3, 7)),
    ]
    after = oc.segments(oc.Inputs(daily, state, pair, [], []), utc(3, 6, 12), utc(3, 8))
    assert [(p.participant, p.start, p.end) for p in after] == [
        (pair[1], utc(3, 6, 12), second_end),
        (pair[0], second_end, utc(3, 8)),
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["hourly", "daily", "weekly"]),
    st.integers(1, 3),
    st.sampled_from(ZONES),
    st.integers(-5 * 24 * 60, 5 * 24 * 60),
    st.booleans(),
    st.integers(1, 3),
    st.integers(-2 * 24 * 60, 9 * 24 * 60),
)
def test_a_later_window_is_the_walk_from_shift_start_cut_to_it(
    kind: str, length: int, zone: str, ahead: int, first: bool, count: int, later: int
) -> None:
    """With first shifts begun before or after the grid's start: the pieces from `since`
    (boundaries before it skipped) are those walked from `shift_start`, cut at `since`;
    `since` is drawn around the first handoff (`later` minutes after it)."""
    shift_start = datetime(2026, 3, 20, 10, 17, tzinfo=UTC)
    config = oc.Config(kind, length, shift_start + ahead * MINUTE, zone)
    team = members(*USERS[:count])
    inputs = oc.Inputs(config, on(team, 0, shift_start, first), team, [], [])
    handoff = r.first_boundary(config.grid(), shift_start, first)
    since = max(shift_start, handoff + later * MINUTE)
    until = since + 3 * DAY
    walked = [
        (p.participant, max(p.start, since), p.end)
        for p in oc.segments(inputs, shift_start, until)
        if p.end > since
    ]
    assert [(p.participant, p.start, p.end) for p in oc.segments(inputs, since, until)] == walked
