"""Who a schedule pages: its layers' rotations stacked into one final answer (schedules.md).

Pure: no I/O and no clock. Every layer's person at an instant comes from the rotation's own
projection (`handoff.oncall.segments`, the code the API, feeds and rotation engine use), so a
schedule can never disagree with its rotations. Before a layer's state `shift_start` the
projection knows nothing (that is the rotation's history), so a layer carries `known`: the
effective persons its history recorded from the instant the schedule last ran up to
`shift_start`. That lets a schedule catch up after a downtime even when its rotations' own
jobs ran first (neither waits for the other).

The final result at t (schedules.md): each layer's person; `priority` keeps the top-most that
has someone, `union` every one, deduplicated in layer order; then the schedule override in
force applies (add, replace, remove, or nobody). An empty result is a gap.

The engine calls, in the schedule's transaction with `now` the database's clock:

    rows = changes(inputs, after=last_run, until=now)    # one row per instant, in order
    wake = next_wake(inputs, now)                         # None: nothing will ever change
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from handoff.oncall import Inputs, segments

Combine = Literal["priority", "union"]
ChangeCause = Literal["started", "layers_changed", "override_started", "override_ended", "layer"]
COMBINES: tuple[Combine, ...] = ("priority", "union")
MAX_LAYERS = 20
_INSTANT = timedelta(microseconds=1)
_HORIZON = timedelta(days=800)  # beyond the longest grid step: a layer quiet this long is done
_DAY = timedelta(days=1)

__all__ = [
    "COMBINES",
    "MAX_LAYERS",
    "Change",
    "ChangeCause",
    "ClockChangeWeek",
    "Combine",
    "Coverage",
    "Layer",
    "Piece",
    "ScheduleInputs",
    "ScheduleOverride",
    "Shift",
    "changes",
    "clock_change_weeks",
    "clock_changes",
    "combine",
    "coverage",
    "edited",
    "next_wake",
    "on_call_at",
    "pieces",
    "shifts",
]


@dataclass(frozen=True, slots=True)
class ScheduleOverride:
    """During [start, end) changes the schedule's result (schedules.md, step 3)."""

    id: UUID
    start: datetime
    end: datetime
    user_id: UUID | None
    replaces_user_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer: its rotation's projection inputs, and what its history says before them.

    `known` holds (instant, effective user) pairs in time order: from each instant on, until
    the next one or the state's `shift_start`, that user (None: nobody) was on call. Before
    the first of them the layer has nobody (the schedule knows nothing earlier).
    """

    rotation_id: UUID
    inputs: Inputs
    known: tuple[tuple[datetime, UUID | None], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "known", tuple(self.known))

    @property
    def time_zone(self) -> str:
        return self.inputs.config.time_zone


@dataclass(frozen=True, slots=True)
class ScheduleInputs:
    """Everything that decides who a schedule pages: layers top first, and its overrides."""

    combine: Combine
    layers: tuple[Layer, ...]
    overrides: tuple[ScheduleOverride, ...] = ()

    def __post_init__(self) -> None:
        for name in ("layers", "overrides"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch in which no layer's person and no override changes.

    `layer_user_ids` holds each layer's person (top first); `user_ids` the final result;
    `rotation_id` the rotation of the top-most layer whose person is in the result when no
    override decides; `override_id` the override that changes the result, if one does.
    """

    start: datetime
    end: datetime
    user_ids: tuple[UUID, ...]
    layer_user_ids: tuple[UUID | None, ...]
    rotation_id: UUID | None
    override_id: UUID | None


@dataclass(frozen=True, slots=True)
class Shift:
    """A final interval of `/shifts`: consecutive pieces with the same answer merged."""

    start: datetime
    end: datetime
    user_ids: tuple[UUID, ...]
    rotation_id: UUID | None
    override_id: UUID | None


@dataclass(frozen=True, slots=True)
class Change:
    """One history row: the final result changed at `at`."""

    at: datetime
    cause: ChangeCause
    from_user_ids: tuple[UUID, ...]
    to_user_ids: tuple[UUID, ...]
    rotation_id: UUID | None
    override_id: UUID | None


@dataclass(frozen=True, slots=True)
class ClockChangeWeek:
    start: datetime  # Monday 00:00 in the schedule's zone
    zones: tuple[str, ...]  # the layers' zones that change their clocks that week


@dataclass(frozen=True, slots=True)
class Coverage:
    gaps: tuple[tuple[datetime, datetime], ...]
    overlaps: tuple[tuple[datetime, datetime, tuple[UUID, ...]], ...]
    clock_change_weeks: tuple[ClockChangeWeek, ...]


# --- the rule at one instant -------------------------------------------------------------------


def combine(how: Combine, people: Iterable[UUID | None]) -> tuple[UUID, ...]:
    """Step 2: the top-most person (`priority`) or every person once, in layer order."""
    found: list[UUID] = []
    for person in people:
        if person is not None and person not in found:
            found.append(person)
            if how == "priority":
                break
    return tuple(found)


def _override(
    how: Combine, result: tuple[UUID, ...], o: ScheduleOverride
) -> tuple[UUID, ...] | None:
    """Step 3: the result with the override applied, or None when it changes nothing."""
    if o.user_id is None and o.replaces_user_id is None:
        changed: tuple[UUID, ...] = ()
    elif o.replaces_user_id is None:
        assert o.user_id is not None
        changed = (o.user_id,) if how == "priority" else combine("union", (*result, o.user_id))
    elif o.replaces_user_id not in result:
        return None
    elif o.user_id is None:
        changed = tuple(u for u in result if u != o.replaces_user_id)
    else:
        swapped = (o.user_id if u == o.replaces_user_id else u for u in result)
        changed = combine("union", swapped)
    return None if changed == result else changed


def _in_force(overrides: Sequence[ScheduleOverride], at: datetime) -> ScheduleOverride | None:
    """The override in force at `at`; the store refuses overlaps, so at most one is (the
    latest-starting wins for rows written around the API)."""
    found = [o for o in overrides if o.start <= at < o.end]
    return max(found, key=lambda o: o.start, default=None)


# --- timelines ---------------------------------------------------------------------------------


def _layer_timeline(
    layer: Layer, since: datetime, until: datetime
) -> list[tuple[datetime, UUID | None]]:
    """The layer's effective person over [since, until): (from instant, user) pairs, the
    first at `since`."""
    state = layer.inputs.state
    origin = until if state is None else max(since, min(state.shift_start, until))
    found: list[tuple[datetime, UUID | None]] = []
    if state is not None and since < origin:
        person = None
        for at, user in layer.known:
            if at <= since:
                person = user
            elif at < origin:
                found.append((at, user))
        found.insert(0, (since, person))
    begin = since if state is None else origin
    if begin < until:
        found += ((p.start, p.user_id) for p in segments(layer.inputs, begin, until))
    return found


def pieces(inputs: ScheduleInputs, since: datetime, until: datetime) -> list[Piece]:
    """The final timeline over [since, until), split wherever a layer's person changes or a
    schedule override starts or ends."""
    if since >= until:
        return []
    timelines = [_layer_timeline(layer, since, until) for layer in inputs.layers]
    instants = {since}
    instants.update(at for timeline in timelines for at, _ in timeline)
    instants.update(
        t
        for o in inputs.overrides
        if o.start < o.end
        for t in (o.start, o.end)
        if since < t < until
    )
    ordered = sorted(instants)
    cursors = [0] * len(timelines)
    result: list[Piece] = []
    for start, end in zip(ordered, [*ordered[1:], until], strict=True):
        people: list[UUID | None] = []
        for i, timeline in enumerate(timelines):
            while cursors[i] + 1 < len(timeline) and timeline[cursors[i] + 1][0] <= start:
                cursors[i] += 1
            people.append(timeline[cursors[i]][1] if timeline else None)
        result.append(_piece(inputs, start, end, tuple(people)))
    return _merge_pieces(result)


def _piece(
    inputs: ScheduleInputs, start: datetime, end: datetime, people: tuple[UUID | None, ...]
) -> Piece:
    combined = combine(inputs.combine, people)
    rotation_id = next(
        (
            layer.rotation_id
            for layer, p in zip(inputs.layers, people, strict=True)
            if p is not None and p in combined
        ),
        None,
    )
    override = _in_force(inputs.overrides, start)
    changed = None if override is None else _override(inputs.combine, combined, override)
    if override is None or changed is None:
        return Piece(start, end, combined, people, rotation_id, None)
    return Piece(start, end, changed, people, None, override.id)


def _merge_pieces(found: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in found:
        last = merged[-1] if merged else None
        if last is not None and (
            last.user_ids,
            last.layer_user_ids,
            last.rotation_id,
            last.override_id,
        ) == (piece.user_ids, piece.layer_user_ids, piece.rotation_id, piece.override_id):
            merged[-1] = Piece(
                last.start,
                piece.end,
                last.user_ids,
                last.layer_user_ids,
                last.rotation_id,
                last.override_id,
            )
        else:
            merged.append(piece)
    return merged


def shifts(inputs: ScheduleInputs, since: datetime, until: datetime) -> list[Shift]:
    """`/shifts`: the final intervals; consecutive equal answers merge (schedules.md)."""
    found: list[Shift] = []
    for p in pieces(inputs, since, until):
        last = found[-1] if found else None
        if last is not None and (last.user_ids, last.rotation_id, last.override_id) == (
            p.user_ids,
            p.rotation_id,
            p.override_id,
        ):
            found[-1] = Shift(last.start, p.end, p.user_ids, p.rotation_id, p.override_id)
        else:
            found.append(Shift(p.start, p.end, p.user_ids, p.rotation_id, p.override_id))
    return found


def on_call_at(inputs: ScheduleInputs, at: datetime) -> tuple[UUID, ...]:
    """The final result at `at` (empty: a gap)."""
    return pieces(inputs, at, at + _INSTANT)[0].user_ids


def changes(inputs: ScheduleInputs, after: datetime, until: datetime) -> list[Change]:
    """The history rows of (after, until]: one per instant at which the final result
    changes, in time order, with the first cause that applies of `override_started`,
    `override_ended` and `layer` (an edit's `layers_changed` is the writer's: `edited`)."""
    found: list[Change] = []
    timeline = pieces(inputs, after, until + _INSTANT)
    for before, piece in itertools.pairwise(timeline):
        if before.user_ids == piece.user_ids:
            continue
        at = piece.start
        edges = [o for o in inputs.overrides if o.start < o.end]
        started = next((o for o in edges if o.start == at), None)
        ended = next((o for o in edges if o.end == at), None)
        moved = next(
            (
                layer.rotation_id
                for layer, a, b in zip(
                    inputs.layers, before.layer_user_ids, piece.layer_user_ids, strict=True
                )
                if a != b
            ),
            None,
        )
        cause: ChangeCause = "override_started" if started else "override_ended"
        if started is None and ended is None:
            cause = "layer"
        edge = started or ended
        found.append(
            Change(
                at,
                cause,
                before.user_ids,
                piece.user_ids,
                moved,
                None if edge is None else edge.id,
            )
        )
    return found


def edited(
    before: tuple[UUID, ...],
    inputs: ScheduleInputs,
    at: datetime,
    cause: ChangeCause,
    override_id: UUID | None = None,
) -> Change | None:
    """The row a writer records at `at` (never backdated): the schedule `started`, its layers
    edited (`layers_changed`), or an override coming into force or ending at the request.
    None when the final result is unchanged (and for a new schedule, when it is empty)."""
    after = on_call_at(inputs, at)
    if after == before and not (cause == "started" and after):
        return None
    return Change(at, cause, before, after, None, override_id)


def next_wake(inputs: ScheduleInputs, after: datetime) -> datetime | None:
    """When the schedule next needs the engine, up to date at `after`: the earliest next
    instant of any layer (its turn passes, hours edges, overrides and changes, or its state
    taking over from its history) and of the schedule's override edges. None: never."""
    due = [t for o in inputs.overrides if o.start < o.end for t in (o.start, o.end) if t > after]
    for layer in inputs.layers:
        state = layer.inputs.state
        if state is not None and state.shift_start > after:
            due.append(state.shift_start)
            due += (at for at, _ in layer.known if at > after)
            continue
        horizon = after + _HORIZON
        first = segments(layer.inputs, after, horizon, limit=1)
        if first and first[0].end < horizon:
            due.append(first[0].end)
    return min(due, default=None)


# --- coverage ----------------------------------------------------------------------------------


def coverage(inputs: ScheduleInputs, since: datetime, until: datetime, time_zone: str) -> Coverage:
    """Gaps (nobody), overlaps (`union` only: more than one person) and the weeks in which
    the layers' zones change their clocks on different dates, over [since, until)."""
    gaps: list[tuple[datetime, datetime]] = []
    overlaps: list[tuple[datetime, datetime, tuple[UUID, ...]]] = []
    for s in shifts(inputs, since, until):
        if not s.user_ids:
            if gaps and gaps[-1][1] == s.start:
                gaps[-1] = (gaps[-1][0], s.end)
            else:
                gaps.append((s.start, s.end))
        elif inputs.combine == "union" and len(s.user_ids) > 1:
            if overlaps and overlaps[-1][1:] == (s.start, s.user_ids):
                overlaps[-1] = (overlaps[-1][0], s.end, s.user_ids)
            else:
                overlaps.append((s.start, s.end, s.user_ids))
    zones = sorted({layer.time_zone for layer in inputs.layers})
    weeks = clock_change_weeks(zones, since, until, time_zone)
    return Coverage(tuple(gaps), tuple(overlaps), tuple(weeks))


def clock_changes(zone: str, since: datetime, until: datetime) -> list[datetime]:
    """The instants (to the hour) in [since, until) at which `zone` changes its UTC offset."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    day = since
    while day < until:
        following = min(day + _DAY, until)
        if day.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            t = day
            while t.astimezone(tz).utcoffset() == day.astimezone(tz).utcoffset():
                t += timedelta(minutes=15)
            found.append(t)
        day = following
    return found


def clock_change_weeks(
    zones: Sequence[str], since: datetime, until: datetime, time_zone: str
) -> list[ClockChangeWeek]:
    """The weeks (from Monday in `time_zone`) in which a zone of `zones` changes its clock
    on a (UTC) date on which another of them does not: their hours slide past each other."""
    if len(zones) < 2:
        return []
    dates = {zone: {t.date() for t in clock_changes(zone, since, until)} for zone in zones}
    tz = ZoneInfo(time_zone)
    weeks: dict[datetime, set[str]] = {}
    for zone in zones:
        for t in clock_changes(zone, since, until):
            if all(t.date() in dates[other] for other in zones if other != zone):
                continue
            local = t.astimezone(tz)
            monday = (local - timedelta(days=local.weekday())).date()
            start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
            weeks.setdefault(start, set()).add(zone)
    return [ClockChangeWeek(start, tuple(sorted(z))) for start, z in sorted(weeks.items())]
