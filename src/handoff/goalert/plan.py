"""What each GoAlert rotation becomes in handoff: pure, no I/O (import.md).

For every rotation read from GoAlert, and what handoff already holds (`Existing`), `plan`
decides one outcome:

- `invalid`: a value handoff cannot hold (an unknown time zone, a shift length over 9,000, a
  user's name, more participants than HANDOFF_MAX_PARTICIPANTS, a state naming a participant
  not in the rotation): reported, not imported;
- `conflict`: GoAlert's name belongs to another handoff rotation (or GoAlert's id to a
  rotation created in handoff): reported, not overwritten;
- `unchanged`: imported before, and GoAlert's rows are as they were then: left alone, whatever
  happened to it in handoff since (the engine hands off, people edit);
- `updated`: imported before, and GoAlert's rows changed since: brought to GoAlert's;
- `created`: new to handoff.

It also computes, at GoAlert's `now`, the rotation's next handoff on handoff's grid from
GoAlert's `shift_start`, how many boundaries have passed that GoAlert has not advanced (a
stale state: the engine records each of them after the import), and where GoAlert's own time
math would differ (`Difference`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from handoff import grid as grids
from handoff import rotation
from handoff.goalert import model
from handoff.goalert.timemath import (
    GoAlertPanic,
    GoRotation,
    goalert_advances,
    goalert_next_handoff,
)
from handoff.store import rotations, text, users
from handoff.store.errors import Invalid, invalid
from handoff.store.goalert import Existing

Outcome = Literal["created", "updated", "unchanged", "conflict", "invalid"]
# match: a new GoAlert user whose email a handoff person has (ignoring case) is that person,
# kept as handoff has them (people.md); nothing is written for them.
UserAction = Literal["create", "update", "keep", "match"]
# Counting the boundaries a stale state has missed stops here (GoAlert's own engine panics
# past 10,000 advances).
MAX_COUNTED = 10_000


@dataclass(frozen=True, slots=True)
class UserWrite:
    id: UUID  # GoAlert's
    name: str  # as handoff holds it (a matched person's own)
    email: str | None
    source: dict[str, Any]
    action: UserAction
    handoff_id: UUID  # GoAlert's id, or the matched person's

    @property
    def goalert_name(self) -> str:
        return str(self.source["name"])


@dataclass(frozen=True, slots=True)
class Difference:
    """GoAlert would hand off at another instant (or to another person) than handoff."""

    handoff_next: datetime
    goalert_next: datetime | None  # None: GoAlert's own code would panic on this rotation
    reason: str


@dataclass(frozen=True, slots=True)
class Item:
    goalert: model.Rotation
    outcome: Outcome
    message: str | None = None
    config: rotations.Config | None = None
    grid: grids.Grid | None = None
    users: tuple[UserWrite, ...] = ()
    on_call: rotation.Participant | None = None
    next_handoff: datetime | None = None
    stale_boundaries: int = 0
    difference: Difference | None = None

    @property
    def position(self) -> int | None:
        """The on-call participant's position (GoAlert's state names the participant)."""
        if self.on_call is None:
            return None
        return self.goalert.participants.index(self.on_call)


@dataclass(frozen=True, slots=True)
class Plan:
    items: tuple[Item, ...]
    users: dict[UUID, UserWrite] = field(default_factory=dict)  # every user written, once


def select(snapshot: model.Snapshot, names: Iterable[str]) -> tuple[model.Rotation, ...]:
    """The rotations named (GoAlert's names are unique regardless of case), or all of them.

    Raises KeyError with the first name GoAlert does not have.
    """
    wanted = list(names)
    if not wanted:
        return snapshot.rotations
    by_name = {r.name.lower(): r for r in snapshot.rotations}
    chosen: dict[UUID, model.Rotation] = {}
    for name in wanted:
        found = by_name.get(name.lower())
        if found is None:
            raise KeyError(name)
        chosen[found.id] = found
    return tuple(chosen.values())


def plan(
    chosen: Iterable[model.Rotation],
    users_by_id: dict[UUID, model.User],
    existing: Existing,
    now: datetime,
    max_participants: int,
) -> Plan:
    items = tuple(_item(r, users_by_id, existing, now, max_participants) for r in chosen)
    written = {
        u.id: u
        for item in items
        if item.outcome in ("created", "updated", "unchanged")
        for u in item.users
    }
    return Plan(items, written)


def _item(
    rot: model.Rotation,
    users_by_id: dict[UUID, model.User],
    existing: Existing,
    now: datetime,
    max_participants: int,
) -> Item:
    try:
        rotation.check_participant_count(len(rot.participants), max_participants)
    except rotation.RuleError as exc:
        return Item(rot, "invalid", f"{exc} (HANDOFF_MAX_PARTICIPANTS)")
    try:
        config, grid = rotations.check_config(
            rotations.Config(
                name=rot.name,
                description=rot.description,
                type=rot.type,
                shift_length=rot.shift_length,
                start=rot.start.replace(second=0, microsecond=0),
                time_zone=rot.time_zone,
            )
        )
        user_writes = _users(rot, users_by_id, existing)
    except Invalid as exc:
        return Item(rot, "invalid", str(exc))
    on_call = None
    if rot.state is not None:
        on_call = next((p for p in rot.participants if p.id == rot.state.participant_id), None)
        if on_call is None:
            return Item(rot, "invalid", "GoAlert's state names a participant not in the rotation")
    owner = existing.names.get(config.name)
    if rot.id in existing.rotations and rot.id not in existing.imported:
        outcome: Outcome = "conflict"
        message: str | None = f"a rotation created in handoff has GoAlert's id {rot.id}"
    elif owner is not None and owner != rot.id:
        outcome, message = "conflict", f"handoff already has a rotation named {config.name!r}"
    elif rot.id not in existing.imported:
        outcome, message = "created", None
    elif existing.imported[rot.id] == rot.source():
        outcome, message = "unchanged", None
        # A user deleted in handoff since stays deleted: only changes in GoAlert are followed.
        user_writes = tuple(u for u in user_writes if u.action != "create")
    else:
        outcome, message = "updated", None
    item = Item(rot, outcome, message, config, grid, user_writes, on_call)
    if rot.state is None:
        return item
    return _timing(item, rot, rot.state, grid, now)


def _users(
    rot: model.Rotation, users_by_id: dict[UUID, model.User], existing: Existing
) -> tuple[UserWrite, ...]:
    """The rotation's users as handoff will hold them, each with what a run does to it."""
    writes: dict[UUID, UserWrite] = {}
    for participant in rot.participants:
        user = users_by_id[participant.user_id]
        if user.id in writes:
            continue
        try:
            name = text.check(
                "name", user.name, min_length=1, max_length=users.MAX_NAME, strip=True
            )
        except Invalid as exc:
            raise invalid(f"user {user.id}", exc.errors[0].message) from None
        email = _email(user.email)
        handoff_id = user.id
        if user.id in existing.imported_users:
            action: UserAction = (
                "keep" if existing.imported_users[user.id] == user.source() else "update"
            )
        elif user.id in existing.users:
            action = "keep"
        elif email is not None and email.lower() in existing.by_email:
            person = existing.by_email[email.lower()]
            action, handoff_id, name = "match", person.id, person.name
        else:
            action = "create"
        writes[user.id] = UserWrite(user.id, name, email, user.source(), action, handoff_id)
    return tuple(writes.values())


def _email(email: str) -> str | None:
    """GoAlert's email where handoff can hold it; GoAlert's empty email is none."""
    try:
        checked = text.check(
            "email", email, min_length=users.MIN_EMAIL, max_length=users.MAX_EMAIL, strip=True
        )
    except Invalid:
        return None
    return checked if "@" in checked else None


def _timing(
    item: Item, rot: model.Rotation, state: model.State, grid: grids.Grid, now: datetime
) -> Item:
    """The next handoff on handoff's grid, the boundaries already missed, and GoAlert's view."""
    first = rotation.first_boundary(grid, state.shift_start, first_shift=False)
    stale = 0
    boundary = first
    while boundary <= now and stale < MAX_COUNTED:
        stale += 1
        boundary = grid.end_time(boundary)
    ours = first if first > now else grid.end_time(now)
    go = GoRotation(rot.type, rot.shift_length, rot.start, grids.load_zone(rot.time_zone))
    count = len(rot.participants)
    try:
        theirs: datetime | None = goalert_next_handoff(go, state.shift_start, state.version, now)
        advances = goalert_advances(go, state.shift_start, state.version, now)
    except GoAlertPanic:
        theirs, advances = None, -1
    reason = _reason(state, ours, theirs, advances < 0 or (advances - stale) % count != 0)
    difference = None if reason is None else Difference(ours, theirs, reason)
    return replace(item, next_handoff=ours, stale_boundaries=stale, difference=difference)


def _reason(
    state: model.State, ours: datetime, theirs: datetime | None, other_person: bool
) -> str | None:
    if theirs is None:
        return "GoAlert's own time math fails on this rotation (too many iterations)"
    reasons = []
    if state.version == 1:
        reasons.append("GoAlert's state is version 1: GoAlert restarts its shift at its next run")
    if theirs != ours:
        reasons.append("GoAlert's time math differs here (time-grid.md, Relation to GoAlert)")
    if other_person:
        reasons.append(
            "after the boundaries already passed, GoAlert would put another person on call"
        )
    return "; ".join(reasons) or None
