"""Schedules (handoff.schedules) against schedules.md, pure: no database, no clock.

The properties build a schedule from layers drawn like the rotation tests' scenarios and
compare its final timeline with `reference`, which takes each layer's person minute by minute
from that layer's own reference (test_oncall.reference, test_hours.reference) and applies
schedules.md's steps 2 and 3 to every minute, written again from the spec's words.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_OID, UUID, uuid5

import pytest
import test_hours as th
import test_oncall as to
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import hours as h
from handoff import oncall as oc
from handoff import rotation as r
from handoff import schedules as s

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = 7 * DAY
ANN, BO, CY, DEE = to.ANN, to.BO, to.CY, to.DEE
EXTRA = uuid5(NAMESPACE_OID, "extra")  # in no rotation
USERS = [*to.USERS, EXTRA]


def rid(name: str) -> UUID:
    return uuid5(NAMESPACE_OID, f"rotation-{name}")


# --- the reference -----------------------------------------------------------------------------


def reference_result(
    combine: str,
    people: Sequence[UUID | None],
    overrides: Sequence[s.ScheduleOverride],
    at: datetime,
) -> tuple[UUID, ...]:
    """schedules.md steps 2 and 3 at one minute, from the spec's words."""
    present = [p for p in people if p is not None]
    if combine == "priority":
        result = present[:1]
    else:
        result = []
        for p in present:
            if p not in result:
                result.append(p)
    covering = [o for o in overrides if o.start <= at < o.end]
    if not covering:
        return tuple(result)
    o = max(covering, key=lambda o: o.start)
    if o.user_id is not None and o.replaces_user_id is None:
        if combine == "priority":
            return (o.user_id,)
        return tuple(result) if o.user_id in result else (*result, o.user_id)
    if o.user_id is not None and o.replaces_user_id is not None:
        if o.replaces_user_id not in result:
            return tuple(result)
        swapped: list[UUID] = []
        for p in result:
            q = o.user_id if p == o.replaces_user_id else p
            if q not in swapped:
                swapped.append(q)
        return tuple(swapped)
    if o.replaces_user_id is not None:
        return tuple(p for p in result if p != o.replaces_user_id)
    return ()


def layer_minutes(layer: oc.Inputs, since: datetime, until: datetime) -> list[UUID | None]:
    """The layer's effective person each minute of [since, until), from its own reference."""
    assert layer.state is not None
    start = layer.state.shift_start
    if layer.config.active_hours is not None:
        minutes = [m.user for m in th.reference(th.spec_of(layer), until)]
    else:
        scenario = to.Scenario(
            layer.config,
            layer.state,
            list(layer.participants),
            list(layer.overrides),
            list(layer.changes),
            start,
            until,
        )
        minutes = [m.user for m in to.reference(scenario)]
    return minutes[(since - start) // MINUTE :]


def reference(
    inputs: s.ScheduleInputs, since: datetime, until: datetime
) -> list[tuple[tuple[UUID | None, ...], tuple[UUID, ...]]]:
    """(each layer's person, the final result) at each minute of [since, until)."""
    per_layer = [layer_minutes(layer.inputs, since, until) for layer in inputs.layers]
    result = []
    for i in range((until - since) // MINUTE):
        people = tuple(minutes[i] for minutes in per_layer)
        at = since + i * MINUTE
        result.append((people, reference_result(inputs.combine, people, inputs.overrides, at)))
    return result


# --- scenarios ---------------------------------------------------------------------------------


def moved(given: oc.Inputs, delta: timedelta) -> oc.Inputs:
    """The same rotation with every instant moved by `delta`."""
    assert given.state is not None
    return oc.Inputs(
        replace(given.config, start=given.config.start + delta),
        replace(given.state, shift_start=given.state.shift_start + delta),
        given.participants,
        [replace(o, start=o.start + delta, end=o.end + delta) for o in given.overrides],
        [
            replace(
                c,
                effective_at=c.effective_at + delta,
                start=None if c.start is None else c.start + delta,
            )
            for c in given.changes
        ],
    )


@st.composite
def layer_inputs(draw: st.DrawFn, origin: datetime) -> oc.Inputs:
    """A rotation like the rotation tests' (overrides and changes, or active hours) whose
    state begins within a day before `origin`."""
    if draw(st.booleans()):
        scenario = draw(to.scenarios())
        given = scenario.args()[0]
    else:
        given = draw(th.rotations(span=(2, 3)))[0]
    assert given.state is not None
    back = draw(st.integers(0, 1440)) * MINUTE
    return moved(given, origin - back - given.state.shift_start)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[s.ScheduleInputs, datetime, datetime]:
    origin = draw(st.sampled_from(to.DST_DAYS)) + draw(st.integers(-720, 720)) * MINUTE
    count = draw(st.integers(1, 3))
    layers = [s.Layer(rid(str(i)), draw(layer_inputs(origin))) for i in range(count)]
    until = origin + draw(st.integers(12 * 60, 36 * 60)) * MINUTE
    overrides: list[s.ScheduleOverride] = []
    cursor = origin - 60 * MINUTE
    for i in range(draw(st.integers(0, 3))):
        begin = cursor + draw(st.integers(0, 600)) * MINUTE
        end = begin + draw(st.integers(1, 900)) * MINUTE
        user = draw(st.sampled_from([*USERS, None]))
        replaces = draw(st.sampled_from([None, None, *USERS]))
        overrides.append(
            s.ScheduleOverride(uuid5(NAMESPACE_OID, f"so-{i}"), begin, end, user, replaces)
        )
        cursor = end
    combine = draw(st.sampled_from(s.COMBINES))
    return s.ScheduleInputs(combine, layers, overrides), origin, until


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def minutes_of(
    found: Sequence[s.Piece], since: datetime
) -> list[tuple[tuple[UUID | None, ...], tuple[UUID, ...]]]:
    result = []
    assert found[0].start == since
    for a, b in itertools.pairwise(found):
        assert a.end == b.start
    for piece in found:
        result += [(piece.layer_user_ids, piece.user_ids)] * ((piece.end - piece.start) // MINUTE)
    return result


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(schedules())
def test_the_final_timeline_is_the_reference_minute_by_minute(
    case: tuple[s.ScheduleInputs, datetime, datetime],
) -> None:
    inputs, since, until = case
    ref = reference(inputs, since, until)
    assert minutes_of(s.pieces(inputs, since, until), since) == ref
    for shift in s.shifts(inputs, since, until):
        assert {
            r[1] for r in ref[(shift.start - since) // MINUTE : (shift.end - since) // MINUTE]
        } == {shift.user_ids}


@PROPERTY
@given(schedules())
def test_history_rows_are_the_reference_changes_once_each(
    case: tuple[s.ScheduleInputs, datetime, datetime],
) -> None:
    inputs, since, until = case
    ref = reference(inputs, since, until)
    expected = [
        (since + i * MINUTE, a[1], b[1])
        for i, (a, b) in enumerate(itertools.pairwise(ref), start=1)
        if a[1] != b[1]
    ]
    rows = s.changes(inputs, since, until - MINUTE)
    assert [(c.at, c.from_user_ids, c.to_user_ids) for c in rows] == expected
    # Caught up in two runs, split anywhere, the rows are the same.
    middle = since + (until - since) // 2 // MINUTE * MINUTE
    assert s.changes(inputs, since, middle) + s.changes(inputs, middle, until - MINUTE) == rows


@PROPERTY
@given(schedules())
def test_the_next_wake_is_never_after_the_next_change(
    case: tuple[s.ScheduleInputs, datetime, datetime],
) -> None:
    inputs, since, until = case
    rows = s.changes(inputs, since, until)
    wake = s.next_wake(inputs, since)
    if rows:
        assert wake is not None and since < wake <= rows[0].at


@PROPERTY
@given(schedules())
def test_coverage_gaps_and_overlaps_are_the_reference_minutes(
    case: tuple[s.ScheduleInputs, datetime, datetime],
) -> None:
    inputs, since, until = case
    ref = reference(inputs, since, until)
    found = s.coverage(inputs, since, until, "UTC")
    gap_minutes = {since + i * MINUTE for i, (_, final) in enumerate(ref) if not final}
    assert {
        g + i * MINUTE for g, end in found.gaps for i in range((end - g) // MINUTE)
    } == gap_minutes
    assert all(a[1] < b[0] for a, b in itertools.pairwise(found.gaps))
    over = {since + i * MINUTE for i, (_, final) in enumerate(ref) if len(final) > 1}
    assert {o + i * MINUTE for o, end, _ in found.overlaps for i in range((end - o) // MINUTE)} == (
        over if inputs.combine == "union" else set()
    )


# --- edge cases (the end of schedules.md) ------------------------------------------------------


def rotation(
    users: Sequence[UUID],
    shift_start: datetime,
    *,
    kind: str = "daily",
    zone: str = "UTC",
    hours: list[dict[str, object]] | None = None,
    overrides: Sequence[oc.Override] = (),
) -> oc.Inputs:
    config = oc.Config(kind, 1, shift_start, zone, h.parse_windows(hours) if hours else None)
    ps = to.members(*users)
    return oc.Inputs(config, r.State(0, ps[0].id, shift_start), ps, overrides)


MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
WEEKDAYS_9_17 = [{"days": th.WEEKDAYS, "from": "09:00", "to": "17:00"}]


def test_a_layer_with_active_hours_lets_the_layer_below_show_through() -> None:
    day = s.Layer(rid("day"), rotation([ANN], MONDAY, hours=WEEKDAYS_9_17))
    all_day = s.Layer(rid("all"), rotation([BO], MONDAY))
    inputs = s.ScheduleInputs("priority", [day, all_day])
    assert s.on_call_at(inputs, MONDAY + 10 * HOUR) == (ANN,)
    assert s.on_call_at(inputs, MONDAY + 18 * HOUR) == (BO,)
    rows = s.changes(inputs, MONDAY, MONDAY + DAY)
    assert [(c.at, c.cause, c.rotation_id, c.to_user_ids) for c in rows] == [
        (MONDAY + 9 * HOUR, "layer", rid("day"), (ANN,)),
        (MONDAY + 17 * HOUR, "layer", rid("day"), (BO,)),
    ]
    assert s.coverage(inputs, MONDAY, MONDAY + WEEK, "UTC").gaps == ()


def test_the_same_person_in_two_layers_is_listed_once_in_a_union() -> None:
    inputs = s.ScheduleInputs(
        "union",
        [
            s.Layer(rid("a"), rotation([ANN, BO], MONDAY)),
            s.Layer(rid("b"), rotation([ANN], MONDAY)),
        ],
    )
    assert s.on_call_at(inputs, MONDAY) == (ANN,)
    assert s.on_call_at(inputs, MONDAY + DAY) == (BO, ANN)
    found = s.coverage(inputs, MONDAY, MONDAY + 2 * DAY, "UTC")
    assert found.overlaps == ((MONDAY + DAY, MONDAY + 2 * DAY, (BO, ANN)),)


def test_a_schedule_override_across_a_dst_change() -> None:
    # Berlin springs forward on 2026-03-29 at 01:00 UTC; an override from Saturday 22:00 to
    # Sunday 06:00 Berlin wall time is 7 hours long, not 8.
    start = datetime(2026, 3, 28, 21, tzinfo=UTC)  # 22:00 CET
    end = datetime(2026, 3, 29, 4, tzinfo=UTC)  # 06:00 CEST
    layer = s.Layer(rid("r"), rotation([ANN], start - DAY, zone="Europe/Berlin"))
    cover = s.ScheduleOverride(uuid5(NAMESPACE_OID, "dst"), start, end, CY)
    inputs = s.ScheduleInputs("priority", [layer], [cover])
    found = s.shifts(inputs, start - HOUR, end + HOUR)
    assert [(x.start, x.end, x.user_ids, x.override_id) for x in found] == [
        (start - HOUR, start, (ANN,), None),
        (start, end, (CY,), cover.id),
        (end, end + HOUR, (ANN,), None),
    ]
    assert end - start == 7 * HOUR


def test_a_layer_removed_or_reordered_while_on_call_is_one_layers_changed_row() -> None:
    top = s.Layer(rid("top"), rotation([ANN], MONDAY))
    below = s.Layer(rid("below"), rotation([BO], MONDAY))
    before = s.ScheduleInputs("priority", [top, below])
    at = MONDAY + 3 * HOUR + 17 * MINUTE + timedelta(seconds=5)
    was = s.on_call_at(before, at)
    reordered = s.edited(was, s.ScheduleInputs("priority", [below, top]), at, "layers_changed")
    assert reordered == s.Change(at, "layers_changed", (ANN,), (BO,), None, None)
    # Deleting the top layer's rotation removes the layer: the same row.
    removed = s.edited(was, s.ScheduleInputs("priority", [below]), at, "layers_changed")
    assert removed == reordered
    # A schedule left with no layers has nobody on call; an edit changing nothing is no row.
    assert s.edited(was, s.ScheduleInputs("priority", []), at, "layers_changed") == s.Change(
        at, "layers_changed", (ANN,), (), None, None
    )
    assert s.edited(was, before, at, "layers_changed") is None


def test_an_override_and_a_layer_change_at_one_instant_are_one_row() -> None:
    layer = s.Layer(rid("r"), rotation([ANN, BO], MONDAY))
    cover = s.ScheduleOverride(uuid5(NAMESPACE_OID, "o"), MONDAY + DAY, MONDAY + DAY + HOUR, CY)
    inputs = s.ScheduleInputs("priority", [layer], [cover])
    rows = s.changes(inputs, MONDAY, MONDAY + 2 * DAY)
    assert [
        (c.at, c.cause, c.from_user_ids, c.to_user_ids, c.rotation_id, c.override_id) for c in rows
    ] == [
        (MONDAY + DAY, "override_started", (ANN,), (CY,), rid("r"), cover.id),
        (MONDAY + DAY + HOUR, "override_ended", (CY,), (BO,), None, cover.id),
        (MONDAY + 2 * DAY, "layer", (BO,), (ANN,), rid("r"), None),
    ]


def test_catch_up_over_three_days_across_many_layer_changes() -> None:
    hourly = s.Layer(rid("h"), rotation([ANN, BO, CY], MONDAY, kind="hourly", hours=WEEKDAYS_9_17))
    nights = s.Layer(rid("n"), rotation([DEE, BO], MONDAY))
    inputs = s.ScheduleInputs("priority", [hourly, nights])
    rows = s.changes(inputs, MONDAY, MONDAY + 3 * DAY)
    assert len(rows) >= 3 * 8 and len({c.at for c in rows}) == len(rows)
    # Run by run, each run from the last, the rows are the same: none twice, none lost.
    stepwise: list[s.Change] = []
    run = MONDAY
    while run < MONDAY + 3 * DAY:
        following = min(run + 7 * HOUR + 13 * MINUTE, MONDAY + 3 * DAY)
        stepwise += s.changes(inputs, run, following)
        run = following
    assert stepwise == rows
    # The rotations' own jobs ran first (their states moved on): the schedule reads the
    # time before their shift_start from their history and records the same rows.
    now = MONDAY + 3 * DAY
    advanced = []
    for layer in inputs.layers:
        result = oc.catch_up(layer.inputs, now, after=MONDAY)
        state_inputs = oc.Inputs(result.config, result.state, result.participants)
        assert result.state is not None
        known = [(MONDAY, oc.on_call_at(layer.inputs, MONDAY).user_id)] + [
            (e.at, e.effective_to) for e in result.events if e.effective
        ]
        advanced.append(s.Layer(layer.rotation_id, state_inputs, known))
    assert s.changes(s.ScheduleInputs("priority", advanced), MONDAY, now) == rows


# --- follow the sun ----------------------------------------------------------------------------


def follow_the_sun(since: datetime) -> s.ScheduleInputs:
    """The spec's example: APAC, EMEA and AMER, each 09:00-17:00 on weekdays in its own zone."""
    zones = [
        ("APAC", "Asia/Singapore", [ANN]),
        ("EMEA", "Europe/London", [BO]),
        ("AMER", "America/New_York", [CY]),
    ]
    return s.ScheduleInputs(
        "priority",
        [
            s.Layer(
                rid(name),
                rotation(users, since - WEEK, kind="weekly", zone=zone, hours=WEEKDAYS_9_17),
            )
            for name, zone, users in zones
        ],
    )


def utc(y: int, m: int, d: int, hour: int = 0) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("monday", "london_ends", "evening_gap_from"),
    [(utc(2026, 1, 12), 17, 22), (utc(2026, 7, 13), 16, 21)],  # winter: GMT, EST; summer: BST, EDT
    ids=["winter", "summer"],
)
def test_follow_the_sun_hands_the_pager_round_and_lists_its_gaps(
    monday: datetime, london_ends: int, evening_gap_from: int
) -> None:
    inputs = follow_the_sun(monday)
    # Singapore 09:00 is 01:00 UTC; London takes over at its 09:00 (08:00 UTC in summer,
    # while Singapore still holds it: priority keeps APAC until 09:00 UTC).
    assert s.on_call_at(inputs, monday + 2 * HOUR) == (ANN,)
    assert s.on_call_at(inputs, monday + 12 * HOUR) == (BO,)
    assert s.on_call_at(inputs, monday + 20 * HOUR) == (CY,)
    gaps = s.coverage(inputs, monday, monday + WEEK, "UTC").gaps
    # Nobody from New York's 17:00 until Singapore's 09:00 each weeknight, and the weekend.
    nightly = [
        (monday + d * DAY + evening_gap_from * HOUR, monday + (d + 1) * DAY + HOUR)
        for d in range(4)
    ]
    assert list(gaps) == [
        (monday, monday + HOUR),
        *nightly,
        (monday + 4 * DAY + evening_gap_from * HOUR, monday + WEEK),
    ]
    rows = s.changes(inputs, monday, monday + DAY)
    assert [(c.at.hour, c.rotation_id, c.to_user_ids) for c in rows] == [
        (1, rid("APAC"), (ANN,)),
        (9, rid("APAC"), (BO,)),
        (london_ends, rid("EMEA"), (CY,)),
        (evening_gap_from, rid("AMER"), ()),
    ]


def test_follow_the_sun_lists_the_dst_weeks_of_march_and_october_november() -> None:
    inputs = follow_the_sun(utc(2026, 1, 5))
    weeks = s.coverage(inputs, utc(2026, 1, 1), utc(2026, 12, 31), "UTC").clock_change_weeks
    assert [(w.start.date().isoformat(), w.zones) for w in weeks] == [
        ("2026-03-02", ("America/New_York",)),  # New York springs forward on 8 March
        ("2026-03-23", ("Europe/London",)),  # London on 29 March
        ("2026-10-19", ("Europe/London",)),  # London falls back on 25 October
        ("2026-10-26", ("America/New_York",)),  # New York on 1 November
    ]
    # Layers in zones that change on the same dates list no week.
    same = s.clock_change_weeks(
        ["Europe/London", "Europe/Berlin"], utc(2026, 1, 1), utc(2026, 12, 31), "UTC"
    )
    assert same == []
