"""The on-call report (handoff.reports) against a minute-by-minute reference, and the edge
cases of shared/spec/reports.md.

The reference walks the scenarios of test_oncall minute by minute (test_oncall.reference, an
independent restatement of the rules) and sums each minute to the person on call then, reading
night and weekend on the wall clock of the person's zone; the report must equal it. The past
half is fed the way the store feeds it: the history rows the engine would have recorded
before the request's instant.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from test_oncall import (
    ANN,
    BO,
    COVER,
    CY,
    PROPERTY_SETTINGS,
    USERS,
    ZONES,
    Scenario,
    members,
    on,
    reference,
    scenarios,
    uid,
)

from handoff import hours as h
from handoff import oncall as oc
from handoff import reports as rp
from handoff.grid import wall_instant

MINUTE = timedelta(minutes=1)
HOUR = 3600
ROT = uid("rotation")


def history(inputs: oc.Inputs, before: datetime) -> list[rp.Recorded]:
    """The rows the engine records from the state's shift start until `before`: the row of
    the boundary that began the state's shift, then one per event, as store.state writes
    them (own person = to_user_id unless an override edge; on call = the effective person)."""
    assert inputs.state is not None
    start = inputs.state.shift_start
    first = oc.segments(inputs, start, start + MINUTE)[0]
    rows = [
        rp.Recorded(start, "boundary", first.rotation_user_id, first.user_id, first.override_id)
    ]
    for e in oc.events(inputs, start, before):
        if e.at < before:
            own = None if e.cause in rp.EDGE_CAUSES else e.to_user_id
            rows.append(rp.Recorded(e.at, e.cause, own, e.effective_to, e.deciding_override_id))
    return rows


def report_of(
    inputs: oc.Inputs,
    since: datetime,
    until: datetime,
    now: datetime,
    people: Mapping[UUID, rp.Person],
    *,
    rows: Sequence[rp.Recorded] | None = None,
) -> rp.Report:
    past = history(inputs, now) if rows is None else rows
    pieces = rp.timeline(past, inputs, since, until, now)
    participants = tuple(dict.fromkeys(p.user_id for p in inputs.participants))
    timeline = rp.RotationTimeline(
        ROT, "primary", inputs.config.time_zone, participants, tuple(pieces)
    )
    return rp.build(since, until, now, [timeline], people)


def by_user(report: rp.Report) -> dict[UUID, rp.Row]:
    return {r.user_id: r for r in report.rows}


def expected(
    s: Scenario, since: datetime, now: datetime, zones: Mapping[UUID, str]
) -> tuple[dict[UUID, Counter[str]], int]:
    """Minute by minute: each person's sums, and the gap."""
    sums: dict[UUID, Counter[str]] = {}
    gap = 0
    previous = None
    for m in reference(s):
        if m.at < since:
            continue
        if m.user is None:
            gap += 60
        else:
            c = sums.setdefault(m.user, Counter())
            local = m.at.astimezone(ZoneInfo(zones[m.user]))
            c["seconds"] += 60
            c["past" if m.at < now else "planned"] += 60
            night = local.hour >= 22 or local.hour < 7
            weekend = local.weekday() >= 5
            c["night"] += 60 * night
            c["weekend"] += 60 * weekend
            c["both"] += 60 * (night and weekend)
            if m.override is not None and m.own != m.user:
                c["covered_for"] += 60
            if previous is None or previous.user != m.user:
                c["intervals"] += 1
        if m.override is not None and m.own is not None and m.own != m.user:
            sums.setdefault(m.own, Counter())["covered_by"] += 60
        previous = m
    return sums, gap


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_the_report_equals_the_minute_by_minute_reference(s: Scenario, data: st.DataObject) -> None:
    length = (s.until - s.since) // MINUTE
    since = s.since + data.draw(st.integers(0, length // 2)) * MINUTE  # often inside a shift
    now = s.since + data.draw(st.integers(0, length)) * MINUTE  # anywhere, past and future
    scenario = Scenario(s.config, s.state, s.participants, s.overrides, s.changes, s.since, s.until)
    zones = {u: data.draw(st.sampled_from(ZONES)) for u in [*USERS, COVER]}
    people = {u: rp.Person(str(u), zones[u]) for u in zones}
    report = report_of(
        oc.Inputs(s.config, s.state, s.participants, s.overrides, s.changes),
        since,
        s.until,
        now,
        people,
    )
    sums, gap = expected(scenario, since, now, zones)
    found = by_user(report)
    for user, c in sums.items():
        row = found[user]
        assert (
            row.seconds,
            row.past_seconds,
            row.planned_seconds,
            row.night_seconds,
            row.weekend_seconds,
            row.night_weekend_seconds,
            row.covered_for_others_seconds,
            row.covered_by_others_seconds,
            row.intervals,
        ) == (
            c["seconds"],
            c["past"],
            c["planned"],
            c["night"],
            c["weekend"],
            c["both"],
            c["covered_for"],
            c["covered_by"],
            c["intervals"],
        ), user
    for user, row in found.items():
        if user not in sums:
            assert row.seconds == row.covered_by_others_seconds == 0
    (total,) = report.totals
    assert total.gap_seconds == gap
    assert total.seconds + total.gap_seconds == (s.until - since).total_seconds()
    spent = [r.seconds for r in report.rows]
    assert total.spread_seconds == max(spent) - min(spent)


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, 3599), st.integers(0, 59))
def test_sums_are_exact_to_the_second_whatever_the_split(
    s: Scenario, offset: int, since_offset: int
) -> None:
    """The request's instant and the range need not fall on minutes: the rows and the gap
    still add up to the range, second for second."""
    now = rp.whole_second(s.since + timedelta(seconds=offset, microseconds=123))
    since = s.since + timedelta(seconds=since_offset)
    report = report_of(
        oc.Inputs(s.config, s.state, s.participants, s.overrides, s.changes),
        since,
        s.until,
        now,
        {},
    )
    (total,) = report.totals
    assert sum(r.seconds for r in report.rows) + total.gap_seconds == (s.until - since) // (
        timedelta(seconds=1)
    )
    assert all(r.past_seconds + r.planned_seconds == r.seconds for r in report.rows)


# --- the edge cases of reports.md ---------------------------------------------------------------

BERLIN = "Europe/Berlin"


def berlin(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return wall_instant(BERLIN, datetime(2026, month, day, hour, minute))


def daily(*users: UUID, at: datetime, zone: str = BERLIN) -> oc.Inputs:
    ps = members(*users)
    return oc.Inputs(oc.Config("daily", 1, at, zone), on(ps, 0, at), ps)


def test_a_range_that_starts_inside_a_shift_and_ends_in_the_future() -> None:
    """Ann's shift began at 09:00 on Monday; the range starts at 15:00 and runs to Thursday
    09:00; the request is made on Tuesday at 12:00. Ann: 18 h past; Bo: 3 h past and 21 h
    planned; Ann again 24 h planned (her second turn)."""
    inputs = daily(ANN, BO, at=berlin(3, 2, 9))
    since, until, now = berlin(3, 2, 15), berlin(3, 5, 9), berlin(3, 3, 12)
    report = report_of(inputs, since, until, now, {})
    ann, bo = by_user(report)[ANN], by_user(report)[BO]
    assert (ann.seconds, ann.past_seconds, ann.planned_seconds) == (42 * HOUR, 18 * HOUR, 24 * HOUR)
    assert (bo.seconds, bo.past_seconds, bo.planned_seconds) == (24 * HOUR, 3 * HOUR, 21 * HOUR)
    assert (ann.turns, ann.intervals, bo.turns, bo.intervals) == (2, 2, 1, 1)
    # The piece in force at the request's instant is Bo's one turn: the record and the
    # projection agree on when it began.
    (total,) = report.totals
    assert (total.gap_seconds, total.spread_seconds) == (0, 18 * HOUR)


def test_an_override_that_covers_part_of_a_night() -> None:
    """Cy covers Ann from 23:00 to 03:00 (Berlin) of Ann's day-long shift: Cy gets 4 night
    hours covered for others, Ann 4 hours covered by others and 5 night hours of her own."""
    inputs = daily(ANN, BO, at=berlin(3, 2, 9))
    cover = oc.Override(uid("cover"), berlin(3, 2, 23), berlin(3, 3, 3), CY)
    inputs = oc.Inputs(inputs.config, inputs.state, inputs.participants, [cover])
    people = {u: rp.Person(n, BERLIN) for u, n in ((ANN, "Ann"), (BO, "Bo"), (CY, "Cy"))}
    since, until = berlin(3, 2, 9), berlin(3, 3, 9)
    report = report_of(inputs, since, until, berlin(3, 2, 9), people)
    rows = by_user(report)
    assert (rows[CY].seconds, rows[CY].night_seconds) == (4 * HOUR, 4 * HOUR)
    assert rows[CY].covered_for_others_seconds == 4 * HOUR
    assert (rows[ANN].seconds, rows[ANN].night_seconds) == (20 * HOUR, 5 * HOUR)
    assert (rows[ANN].covered_by_others_seconds, rows[ANN].intervals) == (4 * HOUR, 2)
    assert rows[BO].seconds == 0  # a participant without time still has a row
    assert [r.name for r in report.rows] == ["Ann", "Bo", "Cy"]
    # Recorded rather than planned: the same numbers from the history.
    past = report_of(inputs, since, until, until, people)
    assert [(r.user_id, r.seconds, r.night_seconds) for r in past.rows] == [
        (r.user_id, r.seconds, r.night_seconds) for r in report.rows
    ]
    assert all(r.planned_seconds == 0 for r in past.rows)


def test_a_dst_night_counts_its_real_hours() -> None:
    """Berlin's 29 March 2026 has 23 hours (02:00 does not exist), 25 October 25 (02:00-03:00
    twice): a one-person daily rotation counts 23 and 25 hours, and the nights 22:00-07:00
    around them 8 and 10 hours."""
    for day, length, night in ((29, 23, 6 + 2), (25, 25, 8 + 2)):
        month = 3 if day == 29 else 10
        inputs = daily(ANN, at=berlin(month, day))
        since, until = berlin(month, day), berlin(month, day + 1)
        for now in (since, until):  # planned, then recorded
            report = report_of(inputs, since, until, now, {ANN: rp.Person("Ann", BERLIN)})
            (ann,) = report.rows
            assert (ann.seconds, ann.night_seconds) == (length * HOUR, night * HOUR)
            assert ann.weekend_seconds == length * HOUR  # both days are Sundays
    assert rp.night_and_weekend(berlin(3, 28, 22), berlin(3, 29, 7), BERLIN)[0] == 8 * HOUR


def test_night_and_weekend_follow_the_persons_zone() -> None:
    """A night in Chicago is a morning in Berlin: the person's zone decides, not the
    rotation's, and without one the rotation's does."""
    inputs = daily(ANN, BO, at=berlin(3, 2, 9))
    since, until = berlin(3, 2, 9), berlin(3, 3, 9)
    chicago = report_of(inputs, since, until, since, {ANN: rp.Person("Ann", "America/Chicago")})
    own = report_of(inputs, since, until, since, {ANN: rp.Person("Ann", None)})
    # 09:00 Berlin is 02:00 in Chicago: night there until 07:00 (5 h), and from 22:00 on
    # (Berlin 05:00 - 09:00 next day is 22:00 - 02:00 in Chicago: 4 h).
    assert by_user(chicago)[ANN].night_seconds == 9 * HOUR
    assert by_user(own)[ANN].night_seconds == 9 * HOUR  # Berlin: 22:00 - 07:00


def test_a_person_in_two_rotations_has_a_row_in_each() -> None:
    first = daily(ANN, BO, at=berlin(3, 2, 9))
    second_ps = members(CY, ANN)
    second = oc.Inputs(
        oc.Config("hourly", 6, berlin(3, 2), BERLIN), on(second_ps, 0, berlin(3, 2)), second_ps
    )
    since, until = berlin(3, 2), berlin(3, 3)
    timelines = [
        rp.RotationTimeline(
            rid,
            name,
            BERLIN,
            tuple(p.user_id for p in i.participants),
            tuple(rp.timeline(history(i, since), i, since, until, since)),
        )
        for rid, name, i in ((uid("a"), "alpha", first), (uid("b"), "beta", second))
    ]
    report = rp.build(since, until, since, timelines, {ANN: rp.Person("Ann", None)})
    ann = [r for r in report.rows if r.user_id == ANN]
    assert [(r.rotation_id, r.seconds) for r in ann] == [
        (uid("a"), 15 * HOUR),
        (uid("b"), 12 * HOUR),
    ]
    # The first rotation has no one on call before 09:00 (its state starts then).
    assert [(t.name, t.seconds, t.gap_seconds) for t in report.totals] == [
        ("alpha", 15 * HOUR, 9 * HOUR),
        ("beta", 24 * HOUR, 0),
    ]
    only_ann = rp.build(since, until, since, timelines, {}, user_id=ANN)
    assert {r.user_id for r in only_ann.rows} == {ANN} and len(only_ann.totals) == 2


def test_a_deleted_person_keeps_their_past_rows_as_recorded() -> None:
    """Ann was deleted after her shift: the record still names her on call; a name the store
    found in the record is used, and without any the row says so."""
    gone = uid("gone")
    rows = [
        rp.Recorded(berlin(3, 2, 9), "boundary", gone, gone, None),
        rp.Recorded(berlin(3, 3, 9), "boundary", BO, BO, None),
    ]
    bo_only = members(BO)
    inputs = oc.Inputs(
        oc.Config("daily", 1, berlin(3, 2, 9), BERLIN), on(bo_only, 0, berlin(3, 3, 9)), bo_only
    )
    since, until, now = berlin(3, 2, 9), berlin(3, 4, 9), berlin(3, 3, 12)
    pieces = rp.timeline(rows, inputs, since, until, now)
    timeline = rp.RotationTimeline(ROT, "primary", BERLIN, (BO,), tuple(pieces))
    people = {gone: rp.Person("Ann (as recorded)", None), BO: rp.Person("Bo", None)}
    named = rp.build(since, until, now, [timeline], people)
    assert [(r.name, r.seconds, r.past_seconds) for r in named.rows] == [
        ("Ann (as recorded)", 24 * HOUR, 24 * HOUR),
        ("Bo", 24 * HOUR, 3 * HOUR),
    ]
    unnamed = rp.build(since, until, now, [timeline], {})
    assert "(deleted user)" in [r.name for r in unnamed.rows]


def test_active_hours_gaps_are_nobodys() -> None:
    """Business hours Monday to Friday 09:00-17:00, weekly turns: over a week Ann is on call 40
    hours and the other 128 are gaps, counted to no one (not to the turn's owner)."""
    ps = members(ANN, BO)
    at = berlin(3, 2, 9)
    config = oc.Config(
        "weekly", 1, at, BERLIN, (h.Window((0, 1, 2, 3, 4), 9 * 60, 17 * 60),), "calendar"
    )
    inputs = oc.Inputs(config, on(ps, 0, at), ps)
    since, until = berlin(3, 2), berlin(3, 9)
    for now in (since, until, berlin(3, 4, 12)):
        report = report_of(inputs, since, until, now, {})
        rows = by_user(report)
        assert (rows[ANN].seconds, rows[ANN].night_seconds, rows[ANN].weekend_seconds) == (
            40 * HOUR,
            0,
            0,
        )
        assert (rows[ANN].intervals, rows[ANN].turns) == (5, 1)
        assert rows[BO].seconds == 0
        (total,) = report.totals
        assert (total.seconds, total.gap_seconds, total.spread_seconds) == (
            40 * HOUR,
            128 * HOUR,
            40 * HOUR,
        )


def test_recorded_rows_make_pieces_until_the_split() -> None:
    """Rows at one instant: the last says who is on call; an override edge keeps the own
    person; an active period's edge does not begin a new turn."""
    t = [datetime(2026, 3, 2, hour, tzinfo=UTC) for hour in range(6)]
    o = uid("o")
    rows = [
        rp.Recorded(t[0], "boundary", ANN, ANN, None),
        rp.Recorded(t[1], "override_started", None, CY, o),
        rp.Recorded(t[2], "boundary", BO, CY, o),
        rp.Recorded(t[2], "override_ended", None, BO, None),
        rp.Recorded(t[3], "active_end", None, None, None),
        rp.Recorded(t[4], "active_start", BO, BO, None),
    ]
    pieces = rp.recorded(rows, t[5])
    assert [(p.start, p.end, p.user_id, p.own_user_id, p.turn) for p in pieces] == [
        (t[0], t[1], ANN, ANN, t[0]),
        (t[1], t[2], CY, ANN, t[0]),
        (t[2], t[3], BO, BO, t[2]),
        (t[3], t[4], None, None, t[2]),
        (t[4], t[5], BO, BO, t[2]),
    ]
    assert all(not p.planned for p in pieces)
    assert rp.recorded([], t[5]) == []  # a rotation with no history yet
    assert [(a.end == b.start) for a, b in itertools.pairwise(pieces)] == [True] * 4
