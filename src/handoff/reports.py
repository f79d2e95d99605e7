"""The on-call report: who carried the pager how long, at night and at weekends, and when
nobody did (shared/spec/reports.md).

Pure: no I/O and no clock. The store reads the recorded history rows, the rotations' `Inputs`
and the people; this module turns them into one timeline per rotation (the record before the
request's instant, the projection of `handoff.oncall` from it on) and sums it up.

Every duration is a whole number of seconds: the range and the split instant are cut to the
second, and every piece edge (grid boundaries, overrides, history rows) falls on one, so a
rotation's rows and its gaps add up to the range exactly. Night (22:00-07:00) and weekend
(Saturday and Sunday) are read on the wall clock of the person's zone (the rotation's when
they have none), as real instants: a DST night counts the hours that really passed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from uuid import UUID

from handoff import oncall, schedules
from handoff.grid import load_zone, wall_instant

__all__ = [
    "EDGE_CAUSES",
    "MAX_PIECES",
    "MAX_RANGE",
    "Person",
    "Piece",
    "Recorded",
    "Report",
    "RotationTimeline",
    "Row",
    "Total",
    "build",
    "next_gap_seconds",
    "night_and_weekend",
    "projected",
    "recorded",
    "schedule_pieces",
    "timeline",
    "whole_second",
    "within",
]

MAX_RANGE = timedelta(days=400)
# The work of one report, over all its rotations and schedules: recorded rows read plus pieces
# projected stop here (hourly shifts of one rotation over 400 days, with overrides and changes,
# stay well under it). A wider report is refused, so no range over thousands of rotations runs
# unbounded (issue 24: bound what any request does).
MAX_PIECES = 100_000
# handoff_schedule_next_gap_seconds looks this far ahead (reports.md).
GAP_HORIZON = timedelta(days=7)
# History rows that change the effective person but not the rotation's own (oncall.md).
EDGE_CAUSES = frozenset({"override_started", "override_ended", "user_deleted"})
# Rows that change the own person without beginning a turn (hours.md: a turn spans its
# active periods).
_ACTIVE_CAUSES = frozenset({"active_start", "active_end"})
NIGHT_STARTS = time(22)
NIGHT_ENDS = time(7)
SATURDAY = 5
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)


def whole_second(t: datetime) -> datetime:
    """`t` cut to the second (the report's unit)."""
    return t.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Recorded:
    """One history row as the report reads it: who is on call after it (the effective person
    and the override deciding, if any) and, unless it is an override edge, the rotation's own
    person after it (`own_user_id`: the row's `to_user_id`)."""

    at: datetime
    cause: str
    own_user_id: UUID | None
    on_call_user_id: UUID | None
    on_call_override_id: UUID | None


@dataclass(frozen=True, slots=True)
class Piece:
    """[start, end) of one rotation in which nothing changes. `user_id` None: nobody on call.
    `turn` names the own person's turn (when it began); `planned` says the piece is the
    projection's (after the request's instant) rather than the record's."""

    start: datetime
    end: datetime
    user_id: UUID | None
    own_user_id: UUID | None
    override_id: UUID | None
    turn: datetime | None
    planned: bool


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    time_zone: str | None  # None: the rotation's


@dataclass(frozen=True, slots=True)
class RotationTimeline:
    """A rotation's (or, with `schedule`, a schedule's) pieces. A rotation's never overlap; a
    `union` schedule's overlap where more than one person is on call at once."""

    id: UUID
    name: str
    time_zone: str
    participants: tuple[UUID, ...]  # user ids taking part now: each gets a row, even at zero
    pieces: tuple[Piece, ...]  # by start, inside the range; gaps may be left out
    schedule: bool = False


@dataclass(slots=True)
class Row:
    """One person in one rotation; every duration in seconds."""

    user_id: UUID
    name: str
    rotation_id: UUID  # the schedule's id when `schedule`
    schedule: bool = False
    seconds: int = 0
    past_seconds: int = 0
    planned_seconds: int = 0
    intervals: int = 0
    turns: int = 0
    night_seconds: int = 0
    weekend_seconds: int = 0
    night_weekend_seconds: int = 0  # both at once (the chart stacks them once)
    covered_for_others_seconds: int = 0
    covered_by_others_seconds: int = 0


@dataclass(frozen=True, slots=True)
class Total:
    rotation_id: UUID  # the schedule's id when `schedule`
    name: str
    seconds: int  # the time someone was on call (with `gap_seconds`, the range's length)
    gap_seconds: int  # nobody on call
    spread_seconds: int  # most minus fewest among the rotation's rows
    schedule: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    now: datetime
    rows: list[Row] = field(default_factory=list)  # by rotation name, then name
    totals: list[Total] = field(default_factory=list)  # by rotation name


def recorded(rows: Sequence[Recorded], until: datetime) -> list[Piece]:
    """The recorded timeline: each row's on-call person until the next row (the last until
    `until`, the request's instant). Rows at one instant: the last says who is on call.

    The own person changes at every row that is not an override edge; a turn begins at every
    such row but the edges of the active period (outside it the turn goes on, nobody on call).
    """
    pieces: list[Piece] = []
    own: UUID | None = None
    turn: datetime | None = None
    for at, group in itertools.groupby(rows, key=lambda r: r.at):
        at_rows = list(group)
        for row in at_rows:
            if row.cause in EDGE_CAUSES:
                continue
            if row.cause not in _ACTIVE_CAUSES or turn is None:
                turn = at
            own = row.own_user_id
        last = at_rows[-1]
        pieces.append(
            Piece(at, at, last.on_call_user_id, own, last.on_call_override_id, turn, False)
        )
    ends = [p.start for p in pieces[1:]] + [until] if pieces else []
    return [_with_end(p, end) for p, end in zip(pieces, ends, strict=True) if p.start < end]


def _with_end(piece: Piece, end: datetime) -> Piece:
    return Piece(
        piece.start,
        end,
        piece.user_id,
        piece.own_user_id,
        piece.override_id,
        piece.turn,
        piece.planned,
    )


def projected(
    inputs: oncall.Inputs, since: datetime, until: datetime, *, budget: int = MAX_PIECES
) -> list[Piece]:
    """The planned timeline over [since, until): the one projection (`oncall.segments`), of
    at most `budget` pieces (what is left of the report's MAX_PIECES). Raises ValueError for
    a stored grid that cannot be walked or a walk over the budget."""
    found = oncall.segments(inputs, since, until, limit=budget + 1)
    if len(found) > budget:
        raise ValueError(over_budget())
    return [
        Piece(s.start, s.end, s.user_id, s.rotation_user_id, s.override_id, s.turn_start, True)
        for s in found
    ]


def over_budget() -> str:
    return (
        f"the report would take over {MAX_PIECES} shifts and changes to work out:"
        " choose a shorter range, a rotation, a schedule or a person"
    )


def timeline(
    rows: Sequence[Recorded],
    inputs: oncall.Inputs,
    since: datetime,
    until: datetime,
    now: datetime,
    *,
    budget: int = MAX_PIECES,
) -> list[Piece]:
    """One rotation over [since, until): the record before `now`, the projection from it on
    (reports.md: split at the request's instant), projecting at most `budget` pieces. `rows`
    must include the last row at or before the range's start that is not an override edge,
    so the own person is known."""
    split = min(max(now, since), until)
    pieces = _clip(recorded(rows, split), since, split)
    if split < until:
        pieces += projected(inputs, split, until, budget=budget)
    return pieces


def schedule_pieces(
    inputs: schedules.ScheduleInputs, since: datetime, until: datetime, now: datetime
) -> list[Piece]:
    """A schedule's final on-call over [since, until) as the report's pieces, split at `now`.

    `schedules.pieces` is the record where the layers' histories say who was on call (the
    store reads them from `since`: `schedules.Layer.known`) and the projection after. Each
    person in the final result gets a piece (a `union` schedule's overlap); under a schedule
    override, a person it puts on call covers for the one it removed (`own_user_id`), and one
    it removes with no one in their place is covered by nobody. A turn is a stretch on call
    in one's own right (by the layers, not an override).
    """
    split = min(max(now, since), until)
    runs: dict[UUID, tuple[datetime, datetime]] = {}  # each own-right stretch: start, end
    found: list[Piece] = []
    for p in schedules.pieces(inputs, since, until):
        for start, end in ((p.start, min(p.end, split)), (max(p.start, split), p.end)):
            if start < end:
                found += _schedule_people(inputs.combine, p, start, end, start >= split, runs)
    return found


def _schedule_people(
    how: schedules.Combine,
    p: schedules.Piece,
    start: datetime,
    end: datetime,
    planned: bool,
    runs: dict[UUID, tuple[datetime, datetime]],
) -> list[Piece]:
    base = schedules.combine(how, p.layer_user_ids)
    # Without an override the result is the layers' (`base`): everyone is there by right.
    pairs: list[tuple[UUID | None, UUID | None]] = [(u, u) for u in p.user_ids if u in base]
    added = [u for u in p.user_ids if u not in base]
    removed = [u for u in base if u not in p.user_ids]
    pairs += itertools.zip_longest(added, removed)
    found: list[Piece] = []
    for user, own in pairs:
        turn = None
        if user is not None and user == own:
            began, ended = runs.get(user, (start, start))
            turn = began if ended == start else start
            runs[user] = (turn, end)
        override = None if user == own else p.override_id
        found.append(Piece(start, end, user, own, override, turn, planned))
    return found


def next_gap_seconds(inputs: schedules.ScheduleInputs, now: datetime) -> int | None:
    """Seconds from `now` to the schedule's next gap within GAP_HORIZON (0: nobody is on call
    now), or None if there is none by then (`handoff_schedule_next_gap_seconds`)."""
    for p in schedules.pieces(inputs, now, now + GAP_HORIZON):
        if not p.user_ids:
            return _seconds(p.start - now)
    return None


def within(timeline: RotationTimeline, since: datetime, until: datetime) -> RotationTimeline:
    """The timeline cut to [since, until): one timeline over a span serves each range in it
    (a timeline's pieces split wherever something changes, so a cut one is the range's own)."""
    return replace(timeline, pieces=tuple(_clip(timeline.pieces, since, until)))


def _clip(pieces: Iterable[Piece], since: datetime, until: datetime) -> list[Piece]:
    result: list[Piece] = []
    for p in pieces:
        start, end = max(p.start, since), min(p.end, until)
        if start < end:
            result.append(
                Piece(start, end, p.user_id, p.own_user_id, p.override_id, p.turn, p.planned)
            )
    return result


def night_and_weekend(start: datetime, end: datetime, time_zone: str) -> tuple[int, int, int]:
    """Seconds of [start, end) at night (22:00-07:00), at the weekend, and both, on the wall
    clock of `time_zone`. Each local date's edges are real instants (`grid.wall_instant`), so
    a 23- or 25-hour day counts what passed."""
    zone = load_zone(time_zone)
    night = weekend = both = 0
    day = start.astimezone(zone).date()
    while True:
        midnight = _at(time_zone, day, time(0))
        if midnight >= end:
            break
        nxt = _at(time_zone, day + _DAY, time(0))
        nights = (
            (midnight, _at(time_zone, day, NIGHT_ENDS)),
            (_at(time_zone, day, NIGHT_STARTS), nxt),
        )
        at_night = sum(_overlap(start, end, a, b) for a, b in nights)
        night += at_night
        if day.weekday() >= SATURDAY:
            weekend += _overlap(start, end, midnight, nxt)
            both += at_night
        day += _DAY
    return night, weekend, both


def _at(time_zone: str, day: date, wall: time) -> datetime:
    return wall_instant(time_zone, datetime.combine(day, wall))


def _overlap(start: datetime, end: datetime, a: datetime, b: datetime) -> int:
    return max(0, _seconds(min(end, b) - max(start, a)))


def _seconds(span: timedelta) -> int:
    return span // _SECOND


def build(
    since: datetime,
    until: datetime,
    now: datetime,
    rotations: Sequence[RotationTimeline],
    people: Mapping[UUID, Person],
    *,
    user_id: UUID | None = None,
) -> Report:
    """The report over [since, until) of the given rotations (and schedules), with `now` the
    split instant.

    A row per person and rotation: everyone on call in it during the range, everyone whose
    turn someone else covered, and every current participant (at zero if need be, so the
    spread counts them). With `user_id`, only that person's rows, and the totals (whole) of
    the rotations they have rows in.
    """
    report = Report(since, until, now)
    length = _seconds(until - since)
    for rot in sorted(rotations, key=lambda r: (r.name, str(r.id))):
        rows: dict[UUID, Row] = {}

        def row_of(user: UUID, rot: RotationTimeline = rot, rows: dict[UUID, Row] = rows) -> Row:
            if user not in rows:
                person = people.get(user)
                name = "(deleted user)" if person is None else person.name
                rows[user] = Row(user, name, rot.id, rot.schedule)
            return rows[user]

        for user in rot.participants:
            row_of(user)
        turns: dict[UUID, set[datetime | None]] = {}
        last_end: dict[UUID, datetime] = {}  # where each person's latest piece ended
        on_call = 0
        staffed_until = since  # the pieces with someone, merged (a union's overlap once)
        for piece in rot.pieces:
            seconds = _seconds(piece.end - piece.start)
            if piece.user_id is not None:
                _count(row_of(piece.user_id), piece, seconds, people, rot.time_zone)
                on_call += _seconds(max(piece.end, staffed_until) - max(piece.start, staffed_until))
                staffed_until = max(staffed_until, piece.end)
                if last_end.get(piece.user_id) != piece.start:
                    row_of(piece.user_id).intervals += 1
                last_end[piece.user_id] = piece.end
                if piece.user_id == piece.own_user_id:
                    turns.setdefault(piece.user_id, set()).add(piece.turn)
            covered = piece.override_id is not None and piece.own_user_id != piece.user_id
            if covered and piece.own_user_id is not None:
                row_of(piece.own_user_id).covered_by_others_seconds += seconds
        for user, begun in turns.items():
            rows[user].turns = len(begun)
        ordered = sorted(rows.values(), key=lambda r: (r.name, str(r.user_id)))
        if user_id is not None and user_id not in rows:
            continue
        spent = [r.seconds for r in ordered]
        report.totals.append(
            Total(
                rot.id,
                rot.name,
                on_call,
                length - on_call,
                max(spent) - min(spent) if spent else 0,
                rot.schedule,
            )
        )
        report.rows.extend(r for r in ordered if user_id in (None, r.user_id))
    return report


def _count(
    row: Row, piece: Piece, seconds: int, people: Mapping[UUID, Person], rotation_zone: str
) -> None:
    person = people.get(row.user_id)
    zone = rotation_zone if person is None or person.time_zone is None else person.time_zone
    night, weekend, both = night_and_weekend(piece.start, piece.end, zone)
    row.seconds += seconds
    if piece.planned:
        row.planned_seconds += seconds
    else:
        row.past_seconds += seconds
    row.night_seconds += night
    row.weekend_seconds += weekend
    row.night_weekend_seconds += both
    if piece.override_id is not None and piece.own_user_id != piece.user_id:
        row.covered_for_others_seconds += seconds
