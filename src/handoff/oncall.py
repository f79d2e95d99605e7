"""Who is on call when: the one projection of a rotation with overrides and scheduled changes.

oncall.md: the rotation's *own* on-call person follows its state, grid and participants by the
rules of handoff.rotation (engine.md); a scheduled change applies at its instant exactly as a
PATCH with its fields would; an override in force decides the *effective* person without moving
the rotation. Pure: no I/O and no clock (every instant is a parameter), so the API, the UI, the
calendar feeds and the engine all answer from this code.

Everything here is one walk forward from the state's `shift_start` (the projection knows nothing
earlier: that is the history's). The walk stops at *instants*: grid boundaries, scheduled changes
and override edges. At one instant the steps happen in this order:

1. the active period starts or ends (hours.md: outside it the own person is nobody);
2. the turn passes (the rotation's own person moves on: a grid boundary, or with active turns
   the start of the next turn's first active unit);
3. the scheduled change applies (grid fields and active hours, then participants, then
   `active_index`, as `store.rotations.update` applies a PATCH);
4. overrides ending at the instant end ([start, end) no longer covers it);
5. overrides starting at the instant start.

Each step is one `Event` (a history row), except that an edge of the active period makes a row
(`active_start`, `active_end`) only when no turn passes and no change applies at the instant:
the own person's change is then one row with the first cause that applies (hours.md). Only the
net change at an instant counts as an on-call change: if the effective person just before the
instant differs from the one at it, exactly one of its events is `effective` (the last step
that changed the effective person), so a boundary at the very instant an override starts does
not announce someone who is never on call.

Every function raises ValueError when the rotation's stored grid fields are invalid.

How the engine calls it, in the rotation's transaction, with `now` the database's clock:

    settled = rotation.reconcile(state, participants, grid_changed_at, now)  # plain-SQL repairs
    result = catch_up(Inputs(config, settled.state, participants, overrides, pending), now,
                      after=last_run)
    # Write result.config, result.state and result.participants (ids included: newcomers'
    # ids are uuid5(change id, position), so every engine and retry writes the same rows);
    # one history row per result.events (cause, from/to, effective, override_id, change_id;
    # the database's uniqueness makes a repeat harmless); mark each of result.applied as
    # applied with its `skipped` note (logged). If a change edited the grid, record
    # grid_changed_at = its Applied.at, not the processing time, or the next reconcile would
    # restart the shift. Then schedule the next run:
    wake = next_wake(Inputs(result.config, result.state, result.participants, overrides,
                            [c for c in pending if c.id not in applied_ids]), now)  # None: never

`last_run` is the instant the rotation was last brought up to date (the previous run's `now`):
override edges at or before it were recorded then, so catch_up reports only later ones.
Boundaries and changes need no such bound: the state and the pending list say what is done.
Projections (API, UI, feeds) call `segments`, `on_call_at` and `events` with the same `Inputs`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal, cast
from uuid import UUID, uuid5

from handoff.grid import Grid, GridType
from handoff.hours import ActiveHours, Window, next_pass
from handoff.rotation import (
    Participant,
    RuleError,
    State,
    edit_grid,
    first_boundary,
    replace_participants,
    set_active,
    skip_to,
)

_INSTANT = timedelta(microseconds=1)
_PREVIEW = UUID("6f1c5a7e-0b4e-4d0a-9a57-2d1f0c3e8b11")  # names the preview's turns
_OWN_CAUSES = frozenset({"boundary", "scheduled_change", "active_start", "active_end"})
_EDGE_CAUSES = frozenset({"override_started", "override_ended"})

__all__ = [
    "Applied",
    "CatchUp",
    "Config",
    "Event",
    "EventCause",
    "Inputs",
    "OnCall",
    "Override",
    "ScheduledChange",
    "Segment",
    "catch_up",
    "events",
    "next_wake",
    "on_call_at",
    "preview",
    "replace_overrides",
    "segments",
    "turn_passes",
]

EventCause = Literal[
    "boundary",
    "scheduled_change",
    "active_start",
    "active_end",
    "override_started",
    "override_ended",
    "user_deleted",
]


@dataclass(frozen=True, slots=True)
class Override:
    """During [start, end), `user_id` (None: nobody) is on call instead of the rotation's person.

    With `replaces_user_id` it is conditional: it applies only while the rotation's own on-call
    person is that user, so it can switch on and off at boundaries inside it.
    """

    id: UUID
    start: datetime  # aware, UTC, minute-truncated
    end: datetime  # start < end
    user_id: UUID | None
    replaces_user_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """Fields a PATCH would set at `effective_at`; None leaves a field as it is.

    `active_hours` is the one field whose None is also a value (always active): an empty
    tuple sets it to always, which the API's `null` becomes (an empty list is refused there).
    """

    id: UUID
    effective_at: datetime
    type: str | None = None
    shift_length: int | None = None
    start: datetime | None = None
    time_zone: str | None = None
    participants: tuple[UUID, ...] | None = None  # user ids, in order
    active_index: int | None = None
    active_hours: tuple[Window, ...] | None = None  # (): set to always
    turns: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """A rotation's grid fields and active hours (None: always active, hours.md)."""

    type: str
    shift_length: int
    start: datetime
    time_zone: str
    active_hours: tuple[Window, ...] | None = None
    turns: str = "active"

    def grid(self) -> Grid:
        """The handoff grid; raises ValueError for fields the grid refuses."""
        return _grid(self.type, self.shift_length, self.start, self.time_zone)

    def units(self) -> Grid:
        """The grid with `shift_length` 1: the units active turns count."""
        return _grid(self.type, 1, self.start, self.time_zone)

    def hours(self) -> ActiveHours | None:
        """The active period, or None when always active."""
        if self.active_hours is None:
            return None
        return ActiveHours(self.active_hours, self.time_zone)

    def is_active(self, at: datetime) -> bool:
        hours = self.hours()
        return hours is None or hours.is_active(at)

    def next_pass(self, shift_start: datetime, first_shift: bool) -> datetime:
        """When the turn begun at `shift_start` passes (hours.next_pass); `first_shift` as in
        rotation.State."""
        return next_pass(
            self.grid(), self.units(), self.hours(), self.turns, shift_start, first_shift
        )


@lru_cache(maxsize=1024)
def _grid(type: str, shift_length: int, start: datetime, time_zone: str) -> Grid:
    """Grids are immutable and costly to set up (zone, normalised start): the engine asks
    for a rotation's grid twice per update (its catch-up, then its next run time), so the
    recent ones are kept."""
    return Grid(cast(GridType, type), shift_length, start, time_zone)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything that decides who is on call in one rotation, as one value.

    Every function of this module takes it whole, and the store reads it for one or many
    rotations in one statement (`handoff.store.inputs`): a new rule (active hours, schedules)
    adds a field here, not a parameter to every caller. `overrides` are the rotation's
    overrides that matter from the state's `shift_start` on; `changes` its pending scheduled
    changes.
    """

    config: Config
    state: State | None
    participants: tuple[Participant, ...]
    overrides: tuple[Override, ...] = ()
    changes: tuple[ScheduledChange, ...] = ()

    def __post_init__(self) -> None:
        # Callers may pass lists; the value stays hashable and immutable.
        for name in ("participants", "overrides", "changes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the timeline in which nothing changes.

    `user_id` is the effective person (None: nobody); `participant` and `rotation_user_id` the
    rotation's own; `override_id` the override that decides `user_id`, if one does;
    `change_id` the scheduled change applied at `start`, if one was.
    """

    start: datetime
    end: datetime
    user_id: UUID | None
    participant: Participant | None
    rotation_user_id: UUID | None
    override_id: UUID | None
    change_id: UUID | None
    turn_start: datetime | None = None  # when the own person's turn began (hours.md)


@dataclass(frozen=True, slots=True)
class Event:
    """One history row: something happened to the rotation at `at`.

    From and to are the row's persons: for a boundary or a scheduled change the rotation's own
    persons before and after; for an override edge the effective persons before and after it,
    with the participant set only while the rotation's own person is the one on call.
    `effective` says whether this row is the instant's on-call change (see the module
    docstring); `effective_from` and `effective_to` are the effective persons just before the
    instant and at it, the same for every event of one instant. `override_id` is the override
    of an edge, or for other causes the override deciding who is on call after the event;
    `deciding_override_id` the override deciding at the instant, after all its events (None
    for a conditional override whose person is not on call: it decides nothing).
    """

    at: datetime
    cause: EventCause
    from_participant: Participant | None
    from_user_id: UUID | None
    to_participant: Participant | None
    to_user_id: UUID | None
    effective: bool
    effective_from: UUID | None
    effective_to: UUID | None
    override_id: UUID | None = None
    change_id: UUID | None = None
    deciding_override_id: UUID | None = None  # the override deciding at the instant, if any


@dataclass(frozen=True, slots=True)
class OnCall:
    user_id: UUID | None  # the effective person; None: nobody
    participant: Participant | None  # the rotation's own
    rotation_user_id: UUID | None
    override_id: UUID | None


@dataclass(frozen=True, slots=True)
class Applied:
    """A scheduled change the walk applied; `skipped` says what it could not do, if anything."""

    change_id: UUID
    at: datetime
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What the engine writes: the rotation after `now`, its history rows and applied changes."""

    config: Config
    state: State | None
    participants: tuple[Participant, ...]
    events: tuple[Event, ...]
    applied: tuple[Applied, ...]


@dataclass(frozen=True, slots=True)
class _Rotation:
    """The rotation's own side at one moment."""

    config: Config
    grid: Grid
    state: State | None
    participants: tuple[Participant, ...]
    active: bool = True  # in the active period (hours.md): outside it the own person is nobody

    def own(self) -> Participant | None:
        if self.state is None or not self.participants or not self.active:
            return None
        return self.participants[self.state.position % len(self.participants)]

    def at(self, instant: datetime) -> _Rotation:
        """The rotation with its active flag as it stands at `instant` (itself when the flag
        stays: the walk asks at every instant, and `replace` costs a third of a shift)."""
        active = self.config.active_hours is None or self.config.is_active(instant)
        if active == self.active:
            return self
        return _Rotation(self.config, self.grid, self.state, self.participants, active)


@dataclass(slots=True)
class _Cover:
    """The overrides in force, and who they put on call."""

    active: list[Override] = field(default_factory=list)

    def cover(self, own: Participant | None) -> Override | None:
        """The override that decides, if any: the latest-starting applicable one.

        The store refuses overlapping overrides, so at most one is in force; the tie-break
        only keeps the answer defined for rows written around the API.
        """
        applicable = [
            o
            for o in self.active
            if o.replaces_user_id is None or (own is not None and own.user_id == o.replaces_user_id)
        ]
        return max(applicable, key=lambda o: o.start, default=None)

    def person(self, own: Participant | None) -> tuple[Participant | None, UUID | None]:
        """Who is on call: the participant (None while an override decides) and user id."""
        cover = self.cover(own)
        if cover is not None:
            return None, cover.user_id
        return own, None if own is None else own.user_id


@dataclass(frozen=True, slots=True)
class _Step:
    cause: EventCause
    source: tuple[Participant | None, UUID | None]
    target: tuple[Participant | None, UUID | None]
    effective_after: UUID | None  # the effective person right after this step
    override_id: UUID | None
    change_id: UUID | None = None


@dataclass(slots=True)
class _Instant:
    """The steps taken at one instant, in order, and the history rows they make."""

    cover: _Cover
    first: UUID | None  # the effective person just before the instant
    steps: list[_Step] = field(default_factory=list)

    def own(
        self, cause: EventCause, before: _Rotation, after: _Rotation, change_id: UUID | None = None
    ) -> None:
        """A step of the rotation's own person (boundary, scheduled change): its own persons."""
        source, target = before.own(), after.own()
        cover = self.cover.cover(target)
        self.steps.append(
            _Step(
                cause,
                (source, None if source is None else source.user_id),
                (target, None if target is None else target.user_id),
                self.cover.person(target)[1],
                None if cover is None else cover.id,
                change_id,
            )
        )

    def edge(
        self,
        override: Override,
        rot: _Rotation,
        *,
        starting: bool,
        ending: EventCause = "override_ended",
    ) -> None:
        """An override starts or ends: the row's persons are the effective ones."""
        own = rot.own()
        source = self.cover.person(own)
        if starting:
            self.cover.active.append(override)
        else:
            self.cover.active.remove(override)
        target = self.cover.person(own)
        cause: EventCause = "override_started" if starting else ending
        self.steps.append(_Step(cause, source, target, target[1], override.id))

    def events(self, at: datetime, deciding: Override | None) -> tuple[Event, ...]:
        """The rows; the last step that changed the effective person is the effective one.
        `deciding` is the override deciding after the instant, if any."""
        last = self.steps[-1].effective_after
        mark = -1
        if last != self.first:
            previous = self.first
            for index, step in enumerate(self.steps):
                if step.effective_after != previous:
                    mark = index
                previous = step.effective_after
        return tuple(
            Event(
                at,
                step.cause,
                *step.source,
                *step.target,
                index == mark,
                self.first,
                last,
                step.override_id,
                step.change_id,
                None if deciding is None else deciding.id,
            )
            for index, step in enumerate(self.steps)
        )


@dataclass(frozen=True, slots=True)
class _Moment:
    """One instant of the walk and how the rotation stands after it. Its history rows are
    made when asked for: a projection (`segments`) asks only for their causes, and making
    the rows cost a quarter of a shift's walk."""

    at: datetime
    instant: _Instant
    rotation: _Rotation
    cover: Override | None  # the override deciding after the instant
    applied: tuple[Applied, ...]

    @property
    def events(self) -> tuple[Event, ...]:
        return self.instant.events(self.at, self.cover)

    @property
    def causes(self) -> frozenset[EventCause]:
        return frozenset(step.cause for step in self.instant.steps)


def _initial(inputs: Inputs) -> _Rotation:
    """The rotation as stored, normalised as rotation.advance does (positions wrap)."""
    config, state, ps = inputs.config, inputs.state, inputs.participants
    if state is not None and not ps:
        state = None
    if state is not None and not 0 <= state.position < len(ps):
        position = state.position % len(ps)
        state = State(position, ps[position].id, state.shift_start, state.first_shift)
    rot = _Rotation(config, config.grid(), state, ps)
    return rot if state is None else rot.at(state.shift_start)


def _cross(rot: _Rotation, boundary: datetime) -> _Rotation:
    assert rot.state is not None
    following = (rot.state.position + 1) % len(rot.participants)
    state = State(following, rot.participants[following].id, boundary)
    return _Rotation(rot.config, rot.grid, state, rot.participants, rot.active)


def _participants_for(
    old: Sequence[Participant], user_ids: Sequence[UUID], change_id: UUID
) -> tuple[Participant, ...]:
    """The new list with deterministic ids, so the projection and the engine agree.

    A user who stays keeps a participant id (the first unused match, as the store's
    `participants.rows_for` does); a newcomer's id is derived from the change and position.
    """
    unused = list(old)
    result: list[Participant] = []
    for position, user_id in enumerate(user_ids):
        match = next((p for p in unused if p.user_id == user_id), None)
        if match is not None:
            unused.remove(match)
            result.append(match)
        else:
            result.append(Participant(uuid5(change_id, str(position)), user_id))
    return tuple(result)


def _apply(rot: _Rotation, change: ScheduledChange, at: datetime) -> tuple[_Rotation, str | None]:
    """Apply a change at `at` as a PATCH would; what could not be done is returned as text."""
    skipped: list[str] = []
    config, grid, state, ps = rot.config, rot.grid, rot.state, rot.participants
    grid_fields = (change.type, change.shift_length, change.start, change.time_zone)
    if grid_fields != (None,) * 4 or (change.active_hours, change.turns) != (None, None):
        hours = config.active_hours if change.active_hours is None else change.active_hours
        edited = Config(
            config.type if change.type is None else change.type,
            config.shift_length if change.shift_length is None else change.shift_length,
            config.start if change.start is None else change.start,
            config.time_zone if change.time_zone is None else change.time_zone,
            hours or None,
            config.turns if change.turns is None else change.turns,
        )
        try:
            edited_grid = edited.grid()
        except ValueError as exc:
            skipped.append(f"grid: {exc}")
        else:
            if edited_grid != grid or _hours_of(edited) != _hours_of(config):
                state = edit_grid(state, at).state
            config, grid = edited, edited_grid
    if change.participants is not None:
        listed = _participants_for(ps, change.participants, change.id)
        state = replace_participants(state, ps, listed, at).state
        ps = listed
    if change.active_index is not None:
        try:
            state = set_active(state, ps, change.active_index, at).state
        except RuleError as exc:
            skipped.append(f"active_index: {exc}")
    return _Rotation(config, grid, state, ps).at(at), "; ".join(skipped) or None


def _hours_of(config: Config) -> tuple[tuple[Window, ...] | None, str | None]:
    """What decides the active period and the turns: the turns only matter with hours."""
    return config.active_hours, None if config.active_hours is None else config.turns


def _walk(
    rot: _Rotation,
    overrides: Sequence[Override],
    changes: Sequence[ScheduledChange],
    *,
    skip_before: datetime | None = None,
) -> Iterator[_Moment]:
    """Every instant from the state's `shift_start` on, in time order; endless while rotating.

    With `skip_before`, boundaries before it are not instants when no override edge, change
    or active-hours edge comes before them: the state jumps over them (rotation.skip_to, the
    boundaries counted, not crossed) to the last one of the run, which is crossed as usual.
    A projection far ahead (who is on call in 2300) costs what one near does.

    With state, the walk starts just after the boundary (or edit) at `shift_start`: the
    overrides in force across it are the starting cover, and edges from `shift_start` on are
    instants (one exactly there comes after the boundary, as at any instant, so a writer that
    crossed the boundary without it leaves it to the next catch-up). A pending change due at
    or before `shift_start` (a writer moved the state past it without applying it) applies at
    `shift_start`: history is not rewritten. Without state there is no grid to walk, so every
    edge and change is an instant. Overrides with `end <= start` cover nothing and are ignored.
    """
    origin = None if rot.state is None else rot.state.shift_start
    pending = sorted(
        ((c.effective_at if origin is None else max(c.effective_at, origin), c) for c in changes),
        key=lambda due: due[0],
    )
    cover = _Cover()
    edges: list[tuple[datetime, bool, Override]] = []
    for o in overrides:
        if o.start >= o.end:
            continue
        if origin is not None and o.start < origin <= o.end:
            cover.active.append(o)
        edges += [(o.start, True, o), (o.end, False, o)]
    # At one instant an ending override goes before a starting one (False sorts first).
    edges = sorted(
        (e for e in edges if origin is None or e[0] >= origin), key=lambda e: (e[0], e[1])
    )
    ci = ei = 0
    last = origin
    while True:
        boundary = active_edge = None
        if rot.state is not None:
            boundary = rot.config.next_pass(rot.state.shift_start, rot.state.first_shift)
            if skip_before is not None and boundary < skip_before and rot.config.hours() is None:
                rot, boundary = _skipped(rot, pending[ci : ci + 1], edges[ei : ei + 1], skip_before)
            hours = rot.config.hours()
            active_edge = None if hours is None or last is None else hours.next_edge(last)
        due = [t for t in (boundary, active_edge) if t is not None]
        if ci < len(pending):
            due.append(pending[ci][0])
        if ei < len(edges):
            due.append(edges[ei][0])
        if not due:
            return
        at = last = min(due)
        instant = _Instant(cover, cover.person(rot.own())[1])
        prior: _Rotation | None = rot  # until a step records the own person's change
        rot = rot.at(at)
        if boundary == at:
            before, prior, rot = rot if prior is None else prior, None, _cross(rot, at)
            instant.own("boundary", before, rot)
        applied: list[Applied] = []
        while ci < len(pending) and pending[ci][0] == at:
            change = pending[ci][1]
            ci += 1
            before, prior, (rot, skipped) = (
                rot if prior is None else prior,
                None,
                _apply(rot, change, at),
            )
            applied.append(Applied(change.id, at, skipped))
            instant.own("scheduled_change", before, rot, change.id)
        if prior is not None and prior.own() != rot.own():
            instant.own("active_start" if rot.active else "active_end", prior, rot)
        while ei < len(edges) and edges[ei][0] == at:
            instant.edge(edges[ei][2], rot, starting=edges[ei][1])
            ei += 1
        yield _Moment(at, instant, rot, cover.cover(rot.own()), tuple(applied))


def _skipped(
    rot: _Rotation,
    change: Sequence[tuple[datetime, ScheduledChange]],
    edge: Sequence[tuple[datetime, bool, Override]],
    until: datetime,
) -> tuple[_Rotation, datetime]:
    """The rotation in the shift that ends at its last boundary before `until` and before
    the next change and override edge (`change`, `edge`: the next one, if any), and that
    boundary, which the walk crosses as usual."""
    assert rot.state is not None
    stop = min([until, *(c[0] for c in change), *(e[0] for e in edge)])
    last = rot.grid.start_time(stop - _INSTANT)
    skipped = skip_to(rot.grid, rot.state, rot.participants, last)
    return replace(rot, state=skipped), first_boundary(
        rot.grid, skipped.shift_start, skipped.first_shift
    )


def _start(inputs: Inputs) -> tuple[_Rotation, Override | None]:
    """The rotation as stored and the override deciding at `shift_start`."""
    rot = _initial(inputs)
    cover = _Cover()
    if rot.state is not None:
        at = rot.state.shift_start
        cover.active = [o for o in inputs.overrides if o.start <= at < o.end]
    return rot, cover.cover(rot.own())


def _segment(
    rot: _Rotation, cover: Override | None, change_id: UUID | None, start: datetime, end: datetime
) -> Segment:
    own = rot.own()
    own_user = None if own is None else own.user_id
    user = own_user if cover is None else cover.user_id
    return Segment(
        start,
        end,
        user,
        own,
        own_user,
        None if cover is None else cover.id,
        change_id,
        None if rot.state is None else rot.state.shift_start,
    )


def segments(
    inputs: Inputs,
    since: datetime,
    until: datetime,
    *,
    limit: int = 100_000,
    ends_by: datetime | None = None,
) -> list[Segment]:
    """The effective on-call timeline over [since, until), at most `limit` pieces.

    A piece ends at every instant of the walk (boundary, scheduled change, override edge),
    even when the next piece has the same person: a shift is split where an override or a
    change begins (oncall.md). Pieces are clipped to the window; with `ends_by` they keep
    their own start and end instead (the last one walked to its end, or `ends_by` at the
    latest). The timeline starts at the state's `shift_start` (before it is the history's).
    The walk skips the boundaries before `since` that nothing else comes between, so a window
    far ahead costs what one near does. Raises ValueError if the stored grid is invalid.
    """
    rot, cover = _start(inputs)
    origin = None if rot.state is None else rot.state.shift_start
    begin = since if origin is None else max(since, origin)
    first = begin if ends_by is None or origin is None else origin  # the first piece's start
    stop = until if ends_by is None else ends_by
    result: list[Segment] = []
    opened, change_id = first, None
    for moment in _walk(rot, inputs.overrides, inputs.changes, skip_before=since):
        if moment.at >= stop or opened >= until or len(result) >= limit:
            break
        if _changes_nothing(moment, rot, cover):
            continue  # the edge of an override that decides nothing: no split
        if moment.at > begin:
            result.append(_segment(rot, cover, change_id, max(opened, first), moment.at))
        rot, cover, opened = moment.rotation, moment.cover, moment.at
        change_id = moment.applied[-1].change_id if moment.applied else None
    if begin < until and opened < until and len(result) < limit:
        result.append(_segment(rot, cover, change_id, max(opened, first), stop))
    return result


def _changes_nothing(moment: _Moment, before: _Rotation, cover: Override | None) -> bool:
    """Whether an instant holds only override edges after which the same override (or none)
    decides for the same own person: a conditional override whose person is not on call
    starting or ending (oncall.md: shifts are split where something changes)."""
    return (
        moment.causes <= _EDGE_CAUSES
        and moment.cover == cover
        and moment.rotation.own() == before.own()
    )


def on_call_at(
    inputs: Inputs,
    at: datetime,
) -> OnCall | None:
    """Who is on call at `at`; None before the state's `shift_start` (ask the history)."""
    found = segments(inputs, at, at + _INSTANT, limit=1)
    if not found:
        return None
    piece = found[0]
    return OnCall(piece.user_id, piece.participant, piece.rotation_user_id, piece.override_id)


def events(
    inputs: Inputs,
    after: datetime,
    until: datetime,
    *,
    limit: int = 100_000,
) -> list[Event]:
    """The rows the history will get in (after, until], in order, at most `limit` of them."""
    rot = _initial(inputs)
    result: list[Event] = []
    for moment in _walk(rot, inputs.overrides, inputs.changes):
        if moment.at > until or len(result) >= limit:
            break
        if moment.at > after:
            result += moment.events
    return result[:limit]


def catch_up(
    inputs: Inputs,
    now: datetime,
    *,
    after: datetime,
) -> CatchUp:
    """Everything due by `now`, each once and in time order: what the engine records.

    `changes` are the pending ones; every one due by `now` is applied. Boundaries crossed
    since `shift_start` are recorded; override edges only after `after`, the instant the
    rotation was last brought up to date. Without overrides and changes this is
    `rotation.advance`.
    """
    rot = _initial(inputs)
    rows: list[Event] = []
    applied: list[Applied] = []
    for moment in _walk(rot, inputs.overrides, inputs.changes):
        if moment.at > now:
            break
        rot = moment.rotation
        rows += (e for e in moment.events if e.cause in _OWN_CAUSES or moment.at > after)
        applied += moment.applied
    return CatchUp(rot.config, rot.state, rot.participants, tuple(rows), tuple(applied))


def next_wake(
    inputs: Inputs,
    after: datetime,
) -> datetime | None:
    """When the rotation next needs the engine, given it is up to date at `after`.

    The earliest of the next turn pass, the next edge of the active period, the first pending
    change (a past one is overdue: run now) and the next override edge after `after`. Every
    edge counts, even one that changes nobody (a conditional override whose user is not on
    call): its start and end are history rows too. None when nothing will ever happen.
    """
    rot = _initial(inputs)
    due = [c.effective_at for c in inputs.changes]
    if rot.state is not None:
        due.append(rot.config.next_pass(rot.state.shift_start, rot.state.first_shift))
        after = max(after, rot.state.shift_start)
        hours = rot.config.hours()
        edge = None if hours is None else hours.next_edge(after)
        due += [] if edge is None else [edge]
    due += (t for o in inputs.overrides if o.start < o.end for t in (o.start, o.end) if t > after)
    return min(due, default=None)


def turn_passes(inputs: Inputs, after: datetime, count: int) -> list[tuple[datetime, UUID]]:
    """The first `count` turn passes after `after` and the user whose turn begins: every
    boundary, and every scheduled change that gives the turn to another user. A pass outside
    the active hours counts too (hours.md: `/handoffs` lists turn passes), although nobody is
    on call then; overrides do not pass turns."""
    rot = _initial(inputs)
    holder = _holder(rot)
    found: list[tuple[datetime, UUID]] = []
    for moment in _walk(rot, (), inputs.changes):
        if len(found) >= count:
            break
        new = _holder(moment.rotation)
        crossed = any(e.cause == "boundary" for e in moment.events)
        if moment.at > after and new is not None and (crossed or new != holder):
            found.append((moment.at, new))
        holder = new
    return found


def _holder(rot: _Rotation) -> UUID | None:
    """The user whose turn it is, active or not."""
    turn = replace(rot, active=True).own()
    return None if turn is None else turn.user_id


def preview(
    config: Config, at: datetime, count: int, first_shift: bool
) -> tuple[list[datetime], list[tuple[datetime, datetime, int]]]:
    """A rotation whose turn begins at `at`, before it is saved (the forms' live preview): its
    next `count` turn passes, and its on-call intervals until the last of them, each with the
    number of its turn (0: the turn begun at `at`). Inactive time is no interval.
    `first_shift`: the turn is a new rotation's first (rotation.State), not a grid edit's."""
    passes: list[datetime] = []
    for _ in range(count):
        begun = passes[-1] if passes else at
        passes.append(config.next_pass(begun, first_shift and not passes))
    turns = tuple(
        Participant(uuid5(_PREVIEW, str(i)), uuid5(_PREVIEW, str(i))) for i in range(count + 1)
    )
    walked = segments(
        Inputs(config, State(0, turns[0].id, at, first_shift), turns),
        at,
        passes[-1] if passes else at,
    )
    intervals: list[tuple[datetime, datetime, int]] = []
    for piece in walked:
        if piece.participant is None:
            continue
        index = turns.index(piece.participant)
        if intervals and intervals[-1][1:] == (piece.start, index):
            intervals[-1] = (intervals[-1][0], piece.end, index)
        else:
            intervals.append((piece.start, piece.end, index))
    return passes, intervals


def replace_overrides(
    inputs: Inputs,
    overrides: Sequence[Override],
    at: datetime,
    *,
    ending: EventCause = "override_ended",
) -> list[Event]:
    """The rows of a writer replacing the rotation's overrides at `at` (the inputs caught up
    to `at`): an override that comes into force at `at` starts there, one that stops being in
    force ends there (oncall.md: recorded at the request, never backdated). Overrides in force
    on both sides, unchanged in who they name, make no row. `ending` is the cause of the
    rows of those that end (`user_deleted` when deleting a user ends them)."""
    rot = _initial(inputs)

    def in_force(found: Sequence[Override]) -> dict[UUID, Override]:
        return {o.id: o for o in found if o.start <= at < o.end}

    def who(o: Override) -> tuple[UUID | None, UUID | None]:
        return o.user_id, o.replaces_user_id

    before, after = in_force(inputs.overrides), in_force(overrides)
    cover = _Cover(list(before.values()))
    instant = _Instant(cover, cover.person(rot.own())[1])
    for o in before.values():
        if o.id not in after or who(after[o.id]) != who(o):
            instant.edge(o, rot, starting=False, ending=ending)
    for o in after.values():
        if o.id not in before or who(before[o.id]) != who(o):
            instant.edge(o, rot, starting=True)
    return list(instant.events(at, cover.cover(rot.own()))) if instant.steps else []
