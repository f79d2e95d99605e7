"""The on-call projection (handoff.oncall) against oncall.md, pure: no database, no clock.

Properties compare it with `reference`, a brute-force walk minute by minute that applies each
rule where it happens; named cases cover the edge cases listed at the end of oncall.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_OID, NAMESPACE_URL, UUID, uuid5

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import oncall as oc
from handoff import rotation as r

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
WINDOW = 36 * 60  # minutes projected per example


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

    def args(self) -> tuple[object, ...]:
        return (self.config, self.state, self.participants, self.overrides, self.changes)


@dataclass(frozen=True)
class Minute:
    at: datetime
    user: UUID | None  # effective
    own: UUID | None
    participant: UUID | None  # the rotation's own participant id
    override: UUID | None
    boundary: bool  # a boundary was crossed at this minute


def reference_apply(
    config: oc.Config,
    state: r.State | None,
    ps: list[r.Participant],
    change: oc.ScheduledChange,
) -> tuple[oc.Config, r.State | None, list[r.Participant]]:
    """A PATCH at change.effective_at, field by field, with the rules of handoff.rotation."""
    at = change.effective_at
    edited = oc.Config(
        change.type or config.type,
        change.shift_length or config.shift_length,
        change.start or config.start,
        change.time_zone or config.time_zone,
    )
    if edited.grid() != config.grid():
        state = r.edit_grid(state, at).state
    config = edited
    if change.participants is not None:
        unused = list(ps)
        new: list[r.Participant] = []
        for i, user in enumerate(change.participants):
            same = [p for p in unused if p.user_id == user]
            new.append(same[0] if same else r.Participant(uuid5(change.id, str(i)), user))
            if same:
                unused.remove(same[0])
        state, ps = r.replace_participants(state, ps, new, at).state, new
    if change.active_index is not None and state is not None and change.active_index < len(ps):
        state = r.set_active(state, ps, change.active_index, at).state
    return config, state, ps


def reference(s: Scenario) -> list[Minute]:
    """Who is on call at each minute of [since, until), walking from the state's shift start."""
    config, state, ps = s.config, s.state, list(s.participants)
    pending = sorted(s.changes, key=lambda c: c.effective_at)
    t = s.since if state is None else state.shift_start
    result: list[Minute] = []
    while t < s.until:
        crossed = False
        if state is not None and config.grid().end_time(state.shift_start) <= t:
            state, crossed = r.advance(config.grid(), state, ps, t).state, True
        while pending and pending[0].effective_at <= t:
            config, state, ps = reference_apply(config, state, ps, pending.pop(0))
        participant = None if state is None else ps[state.position]
        own = None if participant is None else participant.user_id
        covers = [
            o
            for o in s.overrides
            if (o.start <= t < o.end and o.replaces_user_id in (None, own) and own is not None)
            or (o.start <= t < o.end and o.replaces_user_id is None)
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
    kind = draw(st.sampled_from(["hourly", "daily"]))
    length = draw(st.integers(1, 5 if kind == "hourly" else 2))
    config = oc.Config(kind, length, base - draw(st.integers(0, 4320)) * MINUTE, zone)
    grid = config.grid()
    ps = members(*draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4)))
    position = draw(st.integers(0, len(ps) - 1))
    shift_start = grid.start_time(base) if draw(st.booleans()) else base
    state = r.State(position, ps[position].id, shift_start)
    until = shift_start + WINDOW * MINUTE

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
        at = instant(shift_start, WINDOW)
        if any(c.effective_at == at for c in changes):
            continue
        listed = draw(st.none() | st.lists(st.sampled_from(USERS), max_size=4).map(tuple))
        changes.append(
            oc.ScheduledChange(
                uid(f"change-{i}"),
                at,
                type=draw(st.sampled_from([None, "hourly", "daily", "weekly"])),
                shift_length=draw(st.sampled_from([None, 1, 2, 3])),
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
    split_at = {e.at for e in oc.events(*s.args(), s.since, s.until - MINUTE)}
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
    assert sorted((e.at, e.override_id, e.cause) for e in rows if e.cause in edges_causes) == edges


edges_causes = ("override_started", "override_ended")


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, WINDOW - 1))
def test_catch_up_in_two_runs_equals_one_and_wakes_at_the_next_event(
    s: Scenario, split: int
) -> None:
    now = s.until - MINUTE
    middle = s.since + split * MINUTE
    whole = oc.catch_up(*s.args(), now, after=s.since)
    # A change due at shift_start is pending, so catch_up applies it; the walk starts there.
    assert list(whole.events) == oc.events(*s.args(), s.since - MINUTE, now)
    first = oc.catch_up(*s.args(), middle, after=s.since)
    done = {a.change_id for a in first.applied}
    pending = [c for c in s.changes if c.id not in done]
    wake = oc.next_wake(first.config, first.state, first.participants, s.overrides, pending, middle)
    following = [e.at for e in whole.events if e.at > middle]
    if following:
        assert wake == following[0]
    else:
        assert wake is None or wake > now
    second = oc.catch_up(
        first.config, first.state, first.participants, s.overrides, pending, now, after=middle
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
    result = oc.catch_up(config, state, ps, [], [], now, after=shift_start)
    change = r.advance(grid, state, ps, now)
    assert result.state == change.state
    assert [(e.at, e.from_participant, e.to_participant) for e in result.events] == [
        (h.at, h.from_participant, h.to_participant) for h in change.handoffs
    ]
    assert all(e.cause == "boundary" and e.effective == (count > 1) for e in result.events)
    assert oc.next_wake(config, result.state, ps, [], [], now) == r.next_run_at(grid, result.state)
    pieces = oc.segments(config, state, ps, [], [], shift_start, now)
    assert [(p.participant, p.start, p.end) for p in pieces] == [
        (p, start, min(end, now)) for p, start, end in r.shifts(grid, state, ps, now)
    ]
