"""Rotation state and the rules that change it (engine.md): pure functions, no I/O.

A rotation's *state* exists exactly when it has participants: which position is active, who
that participant is, and when the current shift began. Every writer (the queue engine, the
batch engine, the API, the CLI) changes state only through the functions here, and each
returns the new state together with the handoffs it caused, so history is written the same way
everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from handoff.grid import Grid

Cause = Literal[
    "boundary",  # the grid's boundary was crossed
    "started",  # the first participant became active
    "manual",  # someone set the active participant
    "participant_removed",  # the active participant left; the next one took over
    "participants_replaced",  # the list was replaced without the person on call
]


_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Participant:
    id: UUID
    user_id: UUID


@dataclass(frozen=True, slots=True)
class State:
    """Who is on call and since when. `first_shift`: the shift was begun by the first
    participant becoming active (`start`), so, begun before the grid's start, it runs through
    the first whole shift (`first_boundary`); written with the state, so the rule is known
    exactly, not guessed from the instants (engine.md)."""

    position: int
    participant_id: UUID
    shift_start: datetime
    first_shift: bool = False


@dataclass(frozen=True, slots=True)
class Handoff:
    """One change of who is on call. `at` is the boundary instant for a grid handoff."""

    at: datetime
    cause: Cause
    from_participant: Participant | None
    to_participant: Participant


@dataclass(frozen=True, slots=True)
class Change:
    """The outcome of a rule: the new state (None when no participants remain) and handoffs."""

    state: State | None
    handoffs: tuple[Handoff, ...] = ()


class RuleError(ValueError):
    """A requested edit is impossible (an index out of range, too many participants)."""


def _state_at(
    participants: Sequence[Participant], position: int, shift_start: datetime, first_shift: bool
) -> State:
    return State(position, participants[position].id, shift_start, first_shift)


def _hand_over(state: State, participants: Sequence[Participant], position: int) -> State:
    """The rest of `state`'s shift, first shift or not, to the participant at `position`."""
    return _state_at(participants, position, state.shift_start, state.first_shift)


def start(participants: Sequence[Participant], now: datetime) -> Change:
    """The first participant becomes active at once, whatever the grid's start is.

    Before the grid's start, their shift runs to the end of the first full shift
    (`first_boundary`)."""
    if not participants:
        return Change(None)
    first = _state_at(participants, 0, now, first_shift=True)
    return Change(first, (Handoff(now, "started", None, participants[0]),))


def first_boundary(grid: Grid, shift_start: datetime, first_shift: bool) -> datetime:
    """When the shift that began at `shift_start` ends: the first handoff from a state.

    `end_time(shift_start)`, except for a first shift (`State.first_shift`: the first
    participant became active) begun before the grid's start: it ends at `end_time(start)`, so
    its participant owns the time until `start` and the whole first shift after it, however
    long before `start` the rotation was created (engine.md, round three). Any other state
    keeps `end_time(shift_start)`: a shift restarted by a grid edit (engine.md: the next
    handoff is `end_time(now)` on the new grid, even when the new `start` is in the future),
    a state that crossed a boundary, an imported GoAlert state (import.md). The engine, the
    projections and the previews all take their first handoff from here.
    """
    if first_shift and shift_start < grid.start:
        return grid.end_time(grid.start)
    return grid.end_time(shift_start)


def next_handoff(grid: Grid, state: State, now: datetime) -> datetime:
    """The first handoff after `now` of `state` (a state the engine has not caught up yet
    hands off at the next boundary after `now`)."""
    return max(first_boundary(grid, state.shift_start, state.first_shift), grid.end_time(now))


def handoffs_after(grid: Grid, created: datetime, n: int) -> list[datetime]:
    """The first `n` handoffs of a rotation created at `created` on this grid, with nobody
    intervening: what the previews show."""
    if n <= 0:
        return grid.next_handoffs(created, n)
    first = first_boundary(grid, created, first_shift=True)
    return [first, *grid.next_handoffs(first, n - 1)]


def advance(grid: Grid, state: State, participants: Sequence[Participant], now: datetime) -> Change:
    """Cross every boundary up to `now`, one position per boundary.

    After downtime this lands on the participant who would be on call had the engine never
    stopped, and returns one handoff per missed boundary. `shift_start` becomes the last
    boundary crossed, not the processing time.
    """
    if not participants:
        return Change(None)
    position = state.position % len(participants)
    shift_start = state.shift_start
    handoffs: list[Handoff] = []
    boundary = first_boundary(grid, shift_start, state.first_shift)
    while boundary <= now:
        following = (position + 1) % len(participants)
        handoffs.append(
            Handoff(boundary, "boundary", participants[position], participants[following])
        )
        position, shift_start = following, boundary
        boundary = grid.end_time(boundary)
    if not handoffs and position == state.position:
        return Change(state)
    if not handoffs:
        return Change(_hand_over(state, participants, position))
    return Change(_state_at(participants, position, shift_start, False), tuple(handoffs))


def skip_to(
    grid: Grid, state: State, participants: Sequence[Participant], until: datetime
) -> State:
    """The state after every boundary before `until` is crossed, as `advance` would leave it
    a moment before `until`, but computed from the number of boundaries (the grid counts
    them) instead of crossing each: a projection far ahead starts from here."""
    boundary = first_boundary(grid, state.shift_start, state.first_shift)
    if boundary >= until or not participants:
        return state
    last = grid.start_time(until - _INSTANT)
    crossed = 1 + grid.handoffs_between(boundary, last)
    position = (state.position + crossed) % len(participants)
    return _state_at(participants, position, last, False)


def check_participant_count(count: int, limit: int) -> None:
    if count > limit:
        raise RuleError(f"a rotation can have at most {limit} participants, this would be {count}")


def add_participant(
    state: State | None, participants: Sequence[Participant], now: datetime
) -> Change:
    """Append: nobody changes unless this is the first participant, who goes on call now.

    `participants` is the list after the append.
    """
    if state is None:
        return start(participants, now)
    return Change(state)


def remove_participant(
    state: State | None, participants: Sequence[Participant], index: int, now: datetime
) -> Change:
    """Remove the participant at `index` from `participants` (the list before removal).

    Removing the active one hands the rest of the shift to the next participant (wrapping);
    removing another moves nobody; positions close up; removing the last deletes the state.
    """
    if not 0 <= index < len(participants):
        raise RuleError(f"no participant at position {index}")
    remaining = [p for i, p in enumerate(participants) if i != index]
    if state is None:
        return start(remaining, now)
    if not remaining:
        return Change(None)
    if index == state.position:
        position = index % len(remaining)
        handoff = Handoff(now, "participant_removed", participants[index], remaining[position])
        return Change(_hand_over(state, remaining, position), (handoff,))
    position = state.position - 1 if index < state.position else state.position
    return Change(_hand_over(state, remaining, position))


def replace_participants(
    state: State | None,
    old: Sequence[Participant],
    new: Sequence[Participant],
    now: datetime,
) -> Change:
    """Replace the list, keeping the person on call on call at their new position.

    The person (user) on call keeps the shift at their first occurrence in the new list; if
    they are gone, the participant now at the old active index (wrapping) takes over.
    """
    if not new:
        return Change(None)
    if state is None:
        return start(new, now)
    on_call = old[state.position] if 0 <= state.position < len(old) else None
    if on_call is not None:
        for position, participant in enumerate(new):
            if participant.user_id == on_call.user_id:
                return Change(_hand_over(state, new, position))
    position = state.position % len(new)
    handoff = Handoff(now, "participants_replaced", on_call, new[position])
    return Change(_hand_over(state, new, position), (handoff,))


def set_active(
    state: State | None, participants: Sequence[Participant], index: int, now: datetime
) -> Change:
    """Hand the rest of the current shift to the participant at `index`."""
    if not participants or state is None:
        raise RuleError("the rotation has no participants")
    if not 0 <= index < len(participants):
        raise RuleError(f"active_index must be between 0 and {len(participants) - 1}, got {index}")
    if index == state.position:
        return Change(state)
    current = participants[state.position] if state.position < len(participants) else None
    handoff = Handoff(now, "manual", current, participants[index])
    return Change(_hand_over(state, participants, index), (handoff,))


def edit_grid(state: State | None, now: datetime) -> Change:
    """A new type, length, start or zone keeps the person on call; their shift restarts now
    and is no first shift: it ends at `end_time(now)` on the new grid (engine.md), even when
    the new `start` is in the future."""
    if state is None:
        return Change(None)
    return Change(replace(state, shift_start=now, first_shift=False))


def reconcile(
    state: State | None,
    participants: Sequence[Participant],
    grid_changed_at: datetime,
    now: datetime,
) -> Change:
    """Bring a state in line with participants and config written by anyone, even plain SQL.

    The API applies the rules above as it writes, so for its changes this finds nothing to
    do. A writer that bypasses the API (psql, a restore) leaves the engine to repair: state
    without participants is dropped, participants without state start, a vanished active
    participant is replaced by the one now at its position (wrapping), a moved one is
    followed to its new position, and a grid edited after the shift began restarts the
    shift at the moment of the edit.
    """
    if not participants:
        return Change(None)
    if state is None:
        return start(participants, now)
    handoffs: tuple[Handoff, ...] = ()
    ids = [p.id for p in participants]
    if state.participant_id in ids:
        position = ids.index(state.participant_id)
        current = state if position == state.position else replace(state, position=position)
    else:
        position = state.position % len(participants)
        current = _hand_over(state, participants, position)
        handoffs = (Handoff(now, "participant_removed", None, participants[position]),)
    if grid_changed_at > current.shift_start:
        current = replace(current, shift_start=grid_changed_at, first_shift=False)
    return Change(current, handoffs)


def shifts(
    grid: Grid,
    state: State,
    participants: Sequence[Participant],
    until: datetime,
    limit: int = 100_000,
) -> list[tuple[Participant, datetime, datetime]]:
    """Project the shifts from the current one until `until`: (participant, start, end).

    The engine's own rule for the future when nothing else intervenes (no override, no
    scheduled change: oncall.py walks those); the create form's preview names who takes over
    with it.
    """
    result: list[tuple[Participant, datetime, datetime]] = []
    position = state.position % len(participants)
    begin = state.shift_start
    end = first_boundary(grid, begin, state.first_shift)
    while begin < until and len(result) < limit:
        result.append((participants[position], begin, end))
        position = (position + 1) % len(participants)
        begin, end = end, grid.end_time(end)
    return result
