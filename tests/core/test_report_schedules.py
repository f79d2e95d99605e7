"""A schedule's rows in the on-call report (reports.md, schedules.md): its final on-call,
with a `union` schedule's overlap counted once in its total, schedule overrides as covering
for and by others, and the next-gap gauge's seconds.

Each case is checked against hand-counted hours and against an independent witness: the
schedule's own `/shifts` (handoff.schedules.shifts), summed per person.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from uuid import UUID

from test_oncall import ANN, BO, CY, members, on, uid
from test_reports import BERLIN, HOUR, berlin, by_user

from handoff import hours as h
from handoff import oncall as oc
from handoff import reports as rp
from handoff import schedules as sc

SCHEDULE = uid("schedule")
OFFICE, NIGHTS = uid("office"), uid("nights")
PEOPLE = {u: rp.Person(n, BERLIN) for u, n in ((ANN, "Ann"), (BO, "Bo"), (CY, "Cy"))}
MONDAY = berlin(3, 2)


def layers() -> tuple[sc.Layer, sc.Layer]:
    """Ann on call 09:00-17:00 on weekdays (active hours), Bo always, both from Monday 00:00."""
    office = oc.Config(
        "daily", 1, MONDAY, BERLIN, (h.Window((0, 1, 2, 3, 4), 9 * 60, 17 * 60),), "calendar"
    )
    ann, bo = members(ANN), members(BO)
    nights = oc.Config("daily", 1, MONDAY, BERLIN)
    return (
        sc.Layer(OFFICE, oc.Inputs(office, on(ann, 0, MONDAY), ann)),
        sc.Layer(NIGHTS, oc.Inputs(nights, on(bo, 0, MONDAY), bo)),
    )


def report(inputs: sc.ScheduleInputs, since: datetime, until: datetime, now: datetime) -> rp.Report:
    pieces = rp.schedule_pieces(inputs, since, until, now)
    timeline = rp.RotationTimeline(
        SCHEDULE, "team", BERLIN, (ANN, BO), tuple(pieces), schedule=True
    )
    return rp.build(since, until, now, [timeline], PEOPLE)


def witness(inputs: sc.ScheduleInputs, since: datetime, until: datetime) -> Counter[UUID]:
    """Each person's seconds from the schedule's final shifts."""
    found: Counter[UUID] = Counter()
    for s in sc.shifts(inputs, since, until):
        for user in s.user_ids:
            found[user] += int((s.end - s.start).total_seconds())
    return found


def test_a_priority_schedule_with_a_layer_showing_through_and_an_override() -> None:
    """Ann's office hours over Bo: Bo shows through outside them. Cy replaces Bo 22:00-24:00:
    Cy covers 2 night hours for others, Bo is covered 2 hours by others."""
    cover = sc.ScheduleOverride(uid("cover"), berlin(3, 2, 22), berlin(3, 3), CY, BO)
    inputs = sc.ScheduleInputs("priority", layers(), (cover,))
    since, until = MONDAY, berlin(3, 3)
    for now in (since, berlin(3, 2, 12, 30), until):
        got = report(inputs, since, until, now)
        rows = by_user(got)
        assert {u: r.seconds for u, r in rows.items()} == {
            ANN: 8 * HOUR,
            BO: 14 * HOUR,
            CY: 2 * HOUR,
        }
        assert {u: r.seconds for u, r in rows.items()} == dict(witness(inputs, since, until))
        assert (rows[BO].intervals, rows[BO].turns, rows[BO].night_seconds) == (2, 2, 7 * HOUR)
        assert (rows[ANN].intervals, rows[ANN].turns) == (1, 1)
        assert (rows[CY].covered_for_others_seconds, rows[CY].turns) == (2 * HOUR, 0)
        assert rows[CY].night_seconds == 2 * HOUR
        assert rows[BO].covered_by_others_seconds == 2 * HOUR
        assert all(r.schedule and r.rotation_id == SCHEDULE for r in got.rows)
        (total,) = got.totals
        assert total.schedule
        assert (total.seconds, total.gap_seconds, total.spread_seconds) == (24 * HOUR, 0, 12 * HOUR)
        past = {u: r.past_seconds for u, r in rows.items()}
        planned = {u: r.planned_seconds for u, r in rows.items()}
        split = min(max(now, since), until)
        assert past == dict(witness(inputs, since, split)) | {
            u: 0 for u in rows if u not in witness(inputs, since, split)
        }
        assert {u: past[u] + planned[u] for u in rows} == {u: r.seconds for u, r in rows.items()}


def test_a_union_schedule_counts_its_overlap_once_and_a_nobody_override_as_a_gap() -> None:
    """Ann and Bo at once during office hours; nobody 12:00-13:00 (a schedule override): both
    are covered by others for what they lose, and the hour is the schedule's only gap. The
    rows overlap (Ann 7 h, Bo 23 h) but the total is the 23 hours someone was on call, so the
    total and the gap add up to the day."""
    nobody = sc.ScheduleOverride(uid("nobody"), berlin(3, 2, 12), berlin(3, 2, 13), None)
    inputs = sc.ScheduleInputs("union", layers(), (nobody,))
    since, until, now = MONDAY, berlin(3, 3), berlin(3, 2, 12, 30)
    got = report(inputs, since, until, now)
    rows = by_user(got)
    assert {u: r.seconds for u, r in rows.items()} == {ANN: 7 * HOUR, BO: 23 * HOUR}
    assert {u: r.seconds for u, r in rows.items()} == dict(witness(inputs, since, until))
    assert (rows[ANN].intervals, rows[BO].intervals) == (2, 2)
    assert (rows[ANN].covered_by_others_seconds, rows[BO].covered_by_others_seconds) == (
        HOUR,
        HOUR,
    )
    assert (rows[ANN].past_seconds, rows[ANN].planned_seconds) == (3 * HOUR, 4 * HOUR)
    assert (rows[BO].past_seconds, rows[BO].planned_seconds) == (12 * HOUR, 11 * HOUR)
    (total,) = got.totals
    assert (total.seconds, total.gap_seconds, total.spread_seconds) == (
        23 * HOUR,
        HOUR,
        16 * HOUR,
    )


def test_the_next_gap_is_seconds_away_within_7_days_zero_in_one_and_none_beyond() -> None:
    office, _ = layers()
    alone = sc.ScheduleInputs("priority", (office,))
    # Monday 12:00: the office closes at 17:00.
    assert rp.next_gap_seconds(alone, berlin(3, 2, 12)) == 5 * HOUR
    assert rp.next_gap_seconds(alone, berlin(3, 2, 18)) == 0
    always = sc.ScheduleInputs("priority", layers())
    assert rp.next_gap_seconds(always, berlin(3, 2, 12)) is None
    late = sc.ScheduleOverride(uid("late"), berlin(3, 9, 13), berlin(3, 9, 14), None)
    week = sc.ScheduleInputs("priority", layers(), (late,))
    assert rp.next_gap_seconds(week, berlin(3, 2, 12)) is None  # 7 days and an hour on
    assert rp.next_gap_seconds(week, berlin(3, 3, 12)) == (6 * 24 + 1) * HOUR
