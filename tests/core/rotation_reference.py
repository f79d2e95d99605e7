"""The rotation rules of engine.md ("State and its rules"), written again from the spec alone.

An independent reference for handoff.rotation: it imports none of its rules and keeps its own
plain shapes (tuples), so a rule that drifts from the spec in rotation.py disagrees with this
file instead of agreeing with itself. Only the grid (`Grid.end_time`, tested on its own against
a golden file) is shared: the rules are defined in terms of it.

Shapes: a participant is `(participant_id, user_id)`; a state is `(position, participant_id,
shift_start)` or None; a handoff is `(at, cause, from participant or None, to participant)`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from handoff.grid import Grid

Person = tuple[UUID, UUID]
RefState = tuple[int, UUID, datetime] | None
RefHandoff = tuple[datetime, str, Person | None, Person]
Outcome = tuple[RefState, list[RefHandoff]]


def boundaries_between(grid: Grid, after: datetime, until: datetime) -> list[datetime]:
    """Every boundary b with after < b <= until, in order."""
    found: list[datetime] = []
    b = grid.end_time(after)
    while b <= until:
        found.append(b)
        b = grid.end_time(b)
    return found


def advance(grid: Grid, state: RefState, people: list[Person], now: datetime) -> Outcome:
    """'While b <= now, move to the next position (wrapping to 0) and record one handoff for
    boundary b'; afterwards shift_start is the last boundary crossed. With k boundaries
    crossed the position is (p + k) mod n: computed that way here, not stepped."""
    if not people:
        return None, []
    assert state is not None
    position, _, shift_start = state
    crossed = boundaries_between(grid, shift_start, now)
    n = len(people)
    p0 = position % n
    handoffs: list[RefHandoff] = [
        (b, "boundary", people[(p0 + i) % n], people[(p0 + i + 1) % n])
        for i, b in enumerate(crossed)
    ]
    final = (p0 + len(crossed)) % n
    return (final, people[final][0], crossed[-1] if crossed else shift_start), handoffs


def first(people: list[Person], now: datetime) -> Outcome:
    """'Participant 0 becomes active at once with shift_start = now.'"""
    if not people:
        return None, []
    return (0, people[0][0], now), [(now, "started", None, people[0])]


def add_participant(state: RefState, after: list[Person], now: datetime) -> Outcome:
    """Appending moves nobody; the first participant added starts the rotation."""
    return first(after, now) if state is None else (state, [])


def remove_participant(state: RefState, before: list[Person], index: int, now: datetime) -> Outcome:
    """'Removing the active participant hands the rest of the current shift to the next
    participant (wrapping to 0), shift_start unchanged; positions close up. Removing a
    non-active one moves nobody. Removing the last participant deletes the state.'"""
    after = before[:index] + before[index + 1 :]
    if state is None:
        return first(after, now)
    if not after:
        return None, []
    position, participant_id, shift_start = state
    if index == position:
        # "The next participant": the one after the removed one in the old list, wrapping.
        successor = before[(index + 1) % len(before)]
        new_position = after.index(successor)
        return (new_position, successor[0], shift_start), [
            (now, "participant_removed", before[index], successor)
        ]
    # Nobody moves: the same participant, at their position once the list closed up.
    same = next(p for p in before if p[0] == participant_id)
    return (after.index(same), participant_id, shift_start), []


def replace_participants(
    state: RefState, old: list[Person], new: list[Person], now: datetime
) -> Outcome:
    """'Keeps the person who is on call on call, at their new position (the first occurrence
    if they appear twice); if they are gone, the participant now at the old active index
    (wrapping) takes over. shift_start unchanged.'"""
    if not new:
        return None, []
    if state is None:
        return first(new, now)
    position, _, shift_start = state
    on_call = old[position]
    users = [user for _, user in new]
    if on_call[1] in users:
        kept = users.index(on_call[1])
        return (kept, new[kept][0], shift_start), []
    taking = position % len(new)
    return (taking, new[taking][0], shift_start), [
        (now, "participants_replaced", on_call, new[taking])
    ]


def set_active(state: RefState, people: list[Person], index: int, now: datetime) -> Outcome:
    """'Setting active_index hands the rest of the current shift to that participant.'"""
    assert state is not None and 0 <= index < len(people)
    position, _, shift_start = state
    if index == position:
        return state, []
    return (index, people[index][0], shift_start), [
        (now, "manual", people[position], people[index])
    ]


def edit_grid(state: RefState, now: datetime) -> Outcome:
    """'Editing type, shift_length, start or time_zone keeps the person on call and sets
    shift_start = now.'"""
    if state is None:
        return None, []
    position, participant_id, _ = state
    return (position, participant_id, now), []
