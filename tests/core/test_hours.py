"""Active hours (handoff.hours and the projection in handoff.oncall) against hours.md, pure.

`reference` is a brute-force walk minute by minute written from hours.md's words, with none of
the code under test: it reads each minute's wall clock, keeps the latest reading seen so far
(an instant is at or after the resolved instant of a wall time W exactly when some reading up
to it is >= W, which is the grid's rule for gaps and repeated times), and decides from that
reading which windows hold the minute and which unit of the grid it is in.
"""

from __future__ import annotations

import calendar
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import hours as h
from handoff import oncall as oc
from handoff import rotation as r
from handoff.grid import wall_instant

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEK = 7 * DAY
STEP = {"hourly": timedelta(hours=1), "daily": DAY, "weekly": WEEK}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
ALL_DAYS = [*WEEKDAYS, "sat", "sun"]
ZONES = ["UTC", "Europe/Berlin", "America/Chicago", "Australia/Lord_Howe", "America/Santiago"]
DST_DAYS = [datetime(2027, m, d, tzinfo=UTC) for m, d in [(3, 14), (3, 28), (4, 4), (10, 31)]]


def uid(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, name)


def people(n: int) -> list[r.Participant]:
    return [r.Participant(uid(f"p{i}"), uid(f"user{i}")) for i in range(n)]


def windows(*specs: tuple[Sequence[str], str, str]) -> tuple[h.Window, ...]:
    found = h.parse_windows([{"days": list(d), "from": f, "to": t} for d, f, t in specs])
    assert found is not None
    return found


# --- the reference -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A rotation from its state's shift start: hours.md's inputs, as plain values."""

    type: str
    length: int
    start: datetime
    zone: str
    hours: list[tuple[list[int], int, int]] | None  # (weekdays 0..6, from minute, to minute)
    turns: str
    users: list[UUID]
    position: int
    shift_start: datetime
    overrides: Sequence[oc.Override] = ()
    first_shift: bool = False  # the first participant's shift (rotation.State.first_shift)


def spec_of(given: oc.Inputs) -> Spec:
    config, ps, state = given.config, given.participants, given.state
    assert state is not None
    found = None
    if config.active_hours is not None:
        found = [(list(w.days), w.start, w.end) for w in config.active_hours]
    users = [p.user_id for p in ps]
    return Spec(
        config.type,
        config.shift_length,
        config.start,
        config.time_zone,
        found,
        config.turns,
        users,
        state.position,
        state.shift_start,
        given.overrides,
        state.first_shift,
    )


def wall_active(spec: Spec, reading: datetime) -> bool:
    """Whether a wall reading lies in a window occurrence opened on its day or the day before."""
    if spec.hours is None:
        return True
    midnight = reading.replace(hour=0, minute=0, second=0, microsecond=0)
    for opened in (midnight - DAY, midnight):
        for days, start, end in spec.hours:
            if opened.weekday() not in days:
                continue
            opens = opened + start * MINUTE
            closes = opened + end * MINUTE + (DAY if end <= start else timedelta())
            if opens <= reading < closes:
                return True
    return False


def unit_of(spec: Spec, reading: datetime, anchor: datetime) -> int:
    """The number of the grid unit (shift_length 1) a wall reading is in, 0 at the anchor."""
    if spec.type != "monthly":
        return (reading - anchor) // STEP[spec.type]
    months = (reading.year - anchor.year) * 12 + reading.month - anchor.month
    years, month0 = divmod(anchor.month - 1 + months, 12)
    year = anchor.year + years
    last_day = calendar.monthrange(year, month0 + 1)[1]
    boundary = anchor.replace(year=year, month=month0 + 1, day=min(anchor.day, last_day))
    return months if boundary <= reading else months - 1


@dataclass(frozen=True)
class Minute:
    at: datetime
    active: bool
    own: UUID | None
    user: UUID | None  # effective: overrides on top (oncall.md)


def reference(spec: Spec, until: datetime) -> list[Minute]:
    """Each minute of [shift_start, until): whether it is active and whose own turn it is."""
    zone = ZoneInfo(spec.zone)
    anchor = spec.start.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    t = spec.shift_start - 2 * DAY  # read the clock early, so the latest reading is right
    latest = datetime.min
    minutes: list[tuple[datetime, bool, int]] = []
    while t < until:
        latest = max(latest, t.astimezone(zone).replace(tzinfo=None))
        if t >= spec.shift_start:
            minutes.append((t, wall_active(spec, latest), unit_of(spec, latest, anchor)))
        t += MINUTE
    # A first shift begun before the grid's start (engine.md) holds every unit before `start`
    # and counts its turn from `start`: the units from `start` on number the turns.
    first = spec.first_shift and spec.shift_start < spec.start
    first_unit = 0 if first else minutes[0][2]
    active_units = sorted({u for _, active, u in minutes if active and (u >= 0 or not first)})
    result = []
    for at, active, unit in minutes:
        if first and unit < 0:
            turn = 0
        elif spec.hours is not None and spec.turns == "active":
            turn = active_units.index(unit) // spec.length if active else 0
        else:
            turn = unit // spec.length - first_unit // spec.length
        own = spec.users[(spec.position + turn) % len(spec.users)] if active else None
        covers = [
            o
            for o in spec.overrides
            if o.start <= at < o.end and o.replaces_user_id in (None, own or "nobody")
        ]
        cover = max(covers, key=lambda o: o.start, default=None)
        result.append(Minute(at, active, own, own if cover is None else cover.user_id))
    return result


# --- the projection, minute by minute ----------------------------------------------------------


def inputs(
    config: oc.Config,
    ps: Sequence[r.Participant],
    position: int,
    shift_start: datetime,
    overrides: Sequence[oc.Override] = (),
    changes: Sequence[oc.ScheduledChange] = (),
) -> oc.Inputs:
    return oc.Inputs(
        config, r.State(position, ps[position].id, shift_start), ps, overrides, changes
    )


def projected(given: oc.Inputs, until: datetime) -> list[tuple[UUID | None, UUID | None]]:
    """(effective user, own user) for each minute of [shift_start, until)."""
    assert given.state is not None
    found = []
    for piece in oc.segments(given, given.state.shift_start, until):
        for _ in range((piece.end - piece.start) // MINUTE):
            found.append((piece.user_id, piece.rotation_user_id))
    return found


def check_against_reference(given: oc.Inputs, until: datetime) -> list[Minute]:
    """The projection's own and effective persons equal the reference's at every minute, and
    the history's effective rows are exactly the reference's changes of effective person."""
    assert given.state is not None
    ref = reference(spec_of(given), until)
    assert projected(given, until) == [(m.user, m.own) for m in ref]
    changes = {(b.at, a.user, b.user) for a, b in itertools.pairwise(ref) if a.user != b.user}
    rows = oc.events(given, given.state.shift_start, until - MINUTE)
    assert {(e.at, e.effective_from, e.effective_to) for e in rows if e.effective} == changes
    return ref


def on_call_days(ref: Sequence[Minute]) -> dict[datetime, set[UUID]]:
    days: dict[datetime, set[UUID]] = {}
    for m in ref:
        if m.own is not None:
            days.setdefault(m.at.replace(hour=0, minute=0), set()).add(m.own)
    return days


def turns_of(ref: Sequence[Minute]) -> Counter[UUID]:
    """How many on-call stretches each person has (a stretch ends when someone else or nobody
    takes over)."""
    found: Counter[UUID] = Counter()
    for a, b in zip([Minute(ref[0].at, False, None, None), *ref], ref, strict=False):
        if b.own is not None and b.own != a.own:
            found[b.own] += 1
    return found


# --- validation --------------------------------------------------------------------------------


def test_windows_parse_and_print_back() -> None:
    value = [{"days": ["mon", "fri"], "from": "17:00", "to": "09:00"}]
    found = h.parse_windows(value)
    assert found == (h.Window((0, 4), 1020, 540),)
    assert h.windows_json(found) == value
    assert h.parse_windows(None) is None
    assert h.parse_windows([{"days": ["sun"], "from": "00:00", "to": "24:00"}]) == (
        h.Window((6,), 0, 1440),
    )


def test_every_fault_is_reported_at_once() -> None:
    bad = [
        {"days": ["mon", "Mon", "mon"], "from": "9:00", "to": "24:00"},
        {"days": [], "from": "24:00", "to": "12:60"},
        {"days": ["sat"], "from": "10:00", "to": "10:00", "extra": 1},
        "weekends",
    ]
    with pytest.raises(h.HoursError) as raised:
        h.parse_windows(bad)
    assert raised.value.faults == (
        ("active_hours[0].days", "'Mon' is not one of mon, tue, wed, thu, fri, sat, sun"),
        ("active_hours[0].days", "'mon' is listed twice"),
        ("active_hours[0].from", "must be a time 'HH:MM', got '9:00'"),
        ("active_hours[1].days", "must be a list of 1 to 7 day names, got []"),
        ("active_hours[1].from", "must be between 00:00..23:59, got '24:00'"),
        ("active_hours[1].to", "must be between 00:00..24:00, got '12:60'"),
        ("active_hours[2]", "unknown fields: extra"),
        ("active_hours[2]", "from and to must differ, got '10:00' for both"),
        ("active_hours[3]", "must be an object {days, from, to}, got 'weekends'"),
    )
    with pytest.raises(h.HoursError, match="must not be empty"):
        h.parse_windows([])
    with pytest.raises(h.HoursError, match="29 windows, at most 28 allowed"):
        h.parse_windows([{"days": ["mon"], "from": "01:00", "to": "02:00"}] * 29)
    with pytest.raises(h.HoursError, match="from and to must differ"):
        h.parse_windows([{"days": ["mon"], "from": "00:00", "to": "00:00"}])


def test_touching_windows_merge_into_one_weekend_period() -> None:
    weekend = h.ActiveHours(
        windows(
            (["fri"], "17:00", "24:00"),
            (["sat", "sun"], "00:00", "24:00"),
            (["mon"], "00:00", "09:00"),
        ),
        "Europe/Berlin",
    )
    friday = datetime(2027, 1, 8, 16, tzinfo=UTC)  # 17:00 in Berlin
    assert next(weekend.periods(friday)) == (friday, datetime(2027, 1, 11, 8, tzinfo=UTC))
    assert weekend.next_edge(friday) == datetime(2027, 1, 11, 8, tzinfo=UTC)
    always = h.ActiveHours(windows((ALL_DAYS, "00:00", "24:00")), "Europe/Berlin")
    assert always.is_active(friday) and always.next_edge(friday) is None


# --- the eight examples of hours.md ------------------------------------------------------------

BERLIN = "Europe/Berlin"
MONDAY_9 = datetime(2027, 1, 4, 8, tzinfo=UTC)  # Monday 09:00 in Berlin
BUSINESS = windows((WEEKDAYS, "09:00", "17:00"))


@pytest.mark.parametrize("turns", ["active", "calendar"])
def test_example_1_fourteen_people_on_weekdays(turns: str) -> None:
    ps = people(14)
    config = oc.Config("daily", 1, MONDAY_9, BERLIN, BUSINESS, turns)
    until = wall_instant(BERLIN, datetime(2027, 4, 12, 9))  # 14 weeks on, after a DST change
    ref = check_against_reference(inputs(config, ps, 0, MONDAY_9), until)
    counted = turns_of(ref)
    if turns == "active":
        assert counted == Counter({p.user_id: 5 for p in ps})
    else:  # GoAlert's behaviour, on purpose: the turns of Sat and Sun pass with nobody
        assert len(counted) == 10 and set(counted.values()) == {7}
    zone = ZoneInfo(BERLIN)
    for m in ref:
        local = m.at.astimezone(zone)
        if local.weekday() >= 5 or not 9 <= local.hour < 17:
            assert m.own is None


@pytest.mark.parametrize("turns", ["active", "calendar"])
@pytest.mark.parametrize("length", [1, 2])
def test_a_first_shift_created_days_before_start_runs_through_the_first_whole_turn(
    turns: str, length: int
) -> None:
    """engine.md's start rule on active hours: a rotation created on the Wednesday before a
    Monday 09:00 start gives its first participant the time until `start` (its business hours
    included) and a whole first turn after it; a state that is no first shift (a grid edit
    then) passes on its own grid from the edit."""
    ps = people(3)
    config = oc.Config("daily", length, MONDAY_9, BERLIN, BUSINESS, turns)
    created = MONDAY_9 - 5 * DAY + 5 * HOUR  # Wednesday 14:00 in Berlin
    until = MONDAY_9 + 14 * DAY
    first = oc.Inputs(config, r.State(0, ps[0].id, created, first_shift=True), ps)
    ref = check_against_reference(first, until)
    owners = {m.own for m in ref if m.at < MONDAY_9 + (length - 1) * DAY + 8 * HOUR}
    assert owners == {ps[0].user_id, None}
    passes = oc.turn_passes(first, created, 2)
    assert [at for at, _ in passes] == [MONDAY_9 + length * DAY, MONDAY_9 + 2 * length * DAY]
    edited = oc.Inputs(config, r.State(0, ps[0].id, created), ps)
    check_against_reference(edited, until)
    assert oc.turn_passes(edited, created, 1)[0][0] < MONDAY_9


def test_example_2_three_day_turns_skip_the_weekend() -> None:
    abby, bethany, cy = ps = people(3)
    monday = datetime(2027, 1, 4, tzinfo=UTC)
    config = oc.Config("daily", 3, monday, "UTC", windows((WEEKDAYS, "00:00", "24:00")))
    ref = check_against_reference(inputs(config, ps, 0, monday), monday + 2 * WEEK)
    days = on_call_days(ref)
    expected = [abby] * 3 + [bethany] * 3 + [cy] * 3 + [abby]
    assert [days[d] for d in sorted(days)] == [{p.user_id} for p in expected]


def test_example_3_weekly_business_hours_agree_for_both_turns() -> None:
    ps = people(3)
    found = []
    for turns in ("active", "calendar"):
        config = oc.Config("weekly", 1, MONDAY_9, BERLIN, BUSINESS, turns)
        found.append(check_against_reference(inputs(config, ps, 0, MONDAY_9), MONDAY_9 + 3 * WEEK))
    assert found[0] == found[1]
    by_day = on_call_days(found[0])
    assert [by_day[d] for d in sorted(by_day)] == [{p.user_id} for p in ps for _ in range(5)]


def test_example_4_hourly_monday_continues_where_friday_left_off() -> None:
    ps = people(3)
    config = oc.Config("hourly", 1, MONDAY_9, BERLIN, BUSINESS)
    ref = check_against_reference(inputs(config, ps, 0, MONDAY_9), MONDAY_9 + 8 * DAY)
    by_minute = {m.at: m.own for m in ref}
    friday_16 = MONDAY_9 + 4 * DAY + 7 * 60 * MINUTE
    last = next(i for i, p in enumerate(ps) if p.user_id == by_minute[friday_16])
    assert by_minute[MONDAY_9 + WEEK] == ps[(last + 1) % 3].user_id
    assert by_minute[friday_16 + 60 * MINUTE] is None


def test_example_5_nights_leave_the_weekend_empty() -> None:
    ps = people(4)
    monday_17 = MONDAY_9 + 8 * 60 * MINUTE
    config = oc.Config("daily", 1, monday_17, BERLIN, windows((WEEKDAYS, "17:00", "09:00")))
    ref = check_against_reference(inputs(config, ps, 0, monday_17), monday_17 + 2 * WEEK)
    saturday_9, next_monday_17 = MONDAY_9 + 5 * DAY, monday_17 + WEEK
    assert all(m.own is None for m in ref if saturday_9 <= m.at < next_monday_17)
    assert sum(m.own is not None for m in ref if m.at < saturday_9) == 5 * 16 * 60
    assert len(turns_of(ref)) == 4


@pytest.mark.parametrize(
    ("day", "hours"),
    [(datetime(2027, 3, 27, tzinfo=UTC), 1), (datetime(2027, 10, 30, tzinfo=UTC), 3)],
)
def test_example_6_dst_days_change_a_window_real_length(day: datetime, hours: int) -> None:
    ps = people(2)
    config = oc.Config("daily", 1, day, BERLIN, windows((ALL_DAYS, "01:30", "03:30")))
    ref = check_against_reference(inputs(config, ps, 0, day), day + 3 * DAY)
    dst_day = [
        m for m in ref if day + DAY - 2 * 60 * MINUTE <= m.at < day + 2 * DAY - 2 * 60 * MINUTE
    ]
    assert sum(m.own is not None for m in dst_day) == hours * 60


def test_example_6_an_hourly_unit_cut_by_a_window_edge() -> None:
    ps = people(3)
    config = oc.Config("hourly", 1, MONDAY_9, BERLIN, windows((WEEKDAYS, "09:30", "11:15")))
    ref = check_against_reference(inputs(config, ps, 0, MONDAY_9), MONDAY_9 + 2 * DAY)
    by_minute = {m.at: m.own for m in ref}
    assert by_minute[MONDAY_9 + 29 * MINUTE] is None
    first, second, third = (by_minute[MONDAY_9 + k * MINUTE] for k in (30, 60, 120))
    assert (first, second, third) == tuple(p.user_id for p in ps)
    assert by_minute[MONDAY_9 + 135 * MINUTE] is None  # 11:15 ends the window
    assert by_minute[MONDAY_9 + DAY + 30 * MINUTE] == ps[0].user_id


def test_example_7_overrides_on_a_weekend() -> None:
    ps = people(2)
    cover = uid("cover")
    saturday, sunday_night = MONDAY_9 + 5 * DAY, MONDAY_9 + 7 * DAY - 9 * 60 * MINUTE
    plain = oc.Override(uid("plain"), saturday, sunday_night, cover)
    conditional = oc.Override(uid("cond"), saturday, sunday_night, cover, ps[0].user_id)
    config = oc.Config("daily", 1, MONDAY_9, BERLIN, BUSINESS)
    for override, expected in ((plain, cover), (conditional, None)):
        given = inputs(config, ps, 0, MONDAY_9, [override])
        check_against_reference(given, MONDAY_9 + 2 * WEEK)
        weekend = oc.segments(given, saturday, sunday_night)
        assert {piece.user_id for piece in weekend} == {expected}
        assert {piece.rotation_user_id for piece in weekend} == {None}


def test_example_8_a_change_to_business_hours_at_the_next_boundary() -> None:
    ps = people(3)
    wednesday_9 = MONDAY_9 + 2 * DAY
    change = oc.ScheduledChange(uid("change"), wednesday_9, active_hours=BUSINESS)
    config = oc.Config("daily", 1, MONDAY_9, BERLIN)
    given = inputs(config, ps, 1, MONDAY_9 + DAY, changes=[change])
    caught = oc.catch_up(given, wednesday_9 + 30 * MINUTE, after=MONDAY_9 + DAY)
    assert [a.change_id for a in caught.applied] == [change.id]
    assert caught.config.active_hours == BUSINESS
    assert caught.state == r.State(2, ps[2].id, wednesday_9)
    assert [(e.at, e.cause) for e in caught.events] == [
        (wednesday_9, "boundary"),
        (wednesday_9, "scheduled_change"),
    ]
    after = oc.Inputs(caught.config, caught.state, ps)
    again = oc.catch_up(after, wednesday_9 + 30 * MINUTE, after=wednesday_9 + 30 * MINUTE)
    assert again.events == () and again.applied == ()
    ref = check_against_reference(after, wednesday_9 + WEEK)
    assert ref[8 * 60].own is None and ref[24 * 60].own == ps[0].user_id
    rows = oc.events(after, wednesday_9, wednesday_9 + DAY)
    assert [(e.at - wednesday_9, e.cause) for e in rows] == [
        (8 * 60 * MINUTE, "active_end"),
        (DAY, "boundary"),
    ]
    assert oc.next_wake(after, wednesday_9 + 30 * MINUTE) == wednesday_9 + 8 * 60 * MINUTE


# --- properties --------------------------------------------------------------------------------


@st.composite
def rotations(
    draw: st.DrawFn,
    span: tuple[int, int] = (2, 6),
    kinds: Sequence[str] = ("hourly", "hourly", "daily", "daily", "weekly", "monthly"),
    turns: Sequence[str] = h.TURNS,
) -> tuple[oc.Inputs, datetime]:
    zone = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(DST_DAYS)) + draw(st.integers(-2880, 2880)) * MINUTE
    kind = draw(st.sampled_from(kinds))
    length = draw(st.integers(1, {"hourly": 6, "daily": 3, "weekly": 1, "monthly": 1}[kind]))
    start = base - draw(st.integers(0, 40 * 1440)) * MINUTE
    minute = st.integers(0, 47).map(lambda half: half * 30) | st.integers(0, 1439)
    found = []
    for _ in range(draw(st.integers(1, 4))):
        days = draw(st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=7, unique=True))
        opens = draw(minute)
        closes = draw(minute.filter(lambda m, o=opens: m != o).map(lambda m: m or 1440))
        found.append(
            {
                "days": days,
                "from": f"{opens // 60:02d}:{opens % 60:02d}",
                "to": f"{closes // 60:02d}:{closes % 60:02d}",
            }
        )
    hours = h.parse_windows(found)
    config = oc.Config(kind, length, start, zone, hours, draw(st.sampled_from(turns)))
    ps = people(draw(st.integers(1, 4)))
    position = draw(st.integers(0, len(ps) - 1))
    shift_start = config.grid().start_time(base) if draw(st.booleans()) else base
    until = shift_start + draw(st.integers(*span)) * DAY
    return inputs(config, ps, position, shift_start), until


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rotations())
def test_the_projection_is_the_reference(case: tuple[oc.Inputs, datetime]) -> None:
    given_inputs, until = case
    check_against_reference(given_inputs, until)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rotations())
def test_nobody_is_on_call_outside_the_windows(case: tuple[oc.Inputs, datetime]) -> None:
    given_inputs, until = case
    assert given_inputs.state is not None
    ref = reference(spec_of(given_inputs), until)
    for (user, own), m in zip(projected(given_inputs, until), ref, strict=True):
        if not m.active:
            assert own is None and user is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rotations(span=(56, 56), kinds=("hourly", "daily"), turns=("active",)))
def test_active_turns_share_active_units_fairly(case: tuple[oc.Inputs, datetime]) -> None:
    """Over eight weeks the participants' counts of active units differ by at most one turn:
    turns go round in order, so each has k or k + 1 of them, and the turn the range cuts
    holds between none and all of its units."""
    given_inputs, until = case
    assert given_inputs.state is not None
    units = given_inputs.config.units()
    owners: dict[datetime, UUID] = {}
    for piece in oc.segments(given_inputs, given_inputs.state.shift_start, until):
        unit = units.start_time(piece.start)
        while piece.participant is not None and unit < piece.end:
            if units.end_time(unit) <= until:  # a unit the range cuts is left out
                owners[unit] = piece.participant.id
            unit = units.end_time(unit)
    shares = Counter(owners.values())
    counts = [shares[p.id] for p in given_inputs.participants]
    assert max(counts) - min(counts) <= given_inputs.config.shift_length


def test_command_line_windows_and_words() -> None:
    assert h.parse_spec("mon-fri 09:00-17:00") == {
        "days": WEEKDAYS,
        "from": "09:00",
        "to": "17:00",
    }
    assert h.parse_spec("fri-mon 17:00 - 09:00")["days"] == ["fri", "sat", "sun", "mon"]
    assert h.parse_spec("Mon,wed,fri 00:00-24:00")["days"] == ["mon", "wed", "fri"]
    for bad in ("weekdays", "mon-xyz 09:00-17:00", "mon 9-17"):
        with pytest.raises(h.HoursError):
            h.parse_spec(bad)
    assert h.describe(BUSINESS, BERLIN) == "weekdays 09:00-17:00 Europe/Berlin"
    nights = windows(
        (["mon", "tue", "wed", "fri"], "17:00", "09:00"), (["sat", "sun"], "00:00", "24:00")
    )
    assert h.describe(nights, "UTC") == "mon-wed,fri 17:00-09:00; weekends 00:00-24:00 UTC"
    assert h.describe(None, BERLIN) == "always"
