"""What the rotation page shows of overrides and scheduled changes, gathered from the store.

No rules here: the lists are the store's, who is on call now is the projection's (the
rotation view, `projections.on_call_now`), and the preview of a scheduled change is the pure
projection (`oncall.segments`) with the change added to the pending ones, so the form shows what the
engine will do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from handoff import oncall
from handoff.store import changes, history, inputs, overrides, projections, rotations, times
from handoff.store.errors import NotFound
from handoff.store.pagination import MAX_LIMIT
from handoff.web import views, words
from handoff.web.oncall_form import zone_or_utc

PREVIEW_SHIFTS = 8
IDLE_WALK = 1000  # pieces walked to tell a conditional override decides nothing; more: unsaid
# The id the preview gives a change not yet saved (never a stored id: those are random).
UNSAVED = UUID(int=0)


@dataclass(frozen=True, slots=True)
class OverrideRow:
    override: overrides.Override
    who: str  # the person on call instead, or "nobody"
    replaces: str | None  # only while this person is the rotation's own on-call person
    in_force: bool
    not_in_effect: str | None = None  # why a conditional override decides nothing


@dataclass(frozen=True, slots=True)
class ChangeRow:
    change: changes.Change
    summary: str


@dataclass(frozen=True, slots=True)
class Plans:
    """The overrides in force and to come, and the pending scheduled changes, in time order."""

    overrides: list[OverrideRow]
    changes: list[ChangeRow]


def _name(names: dict[UUID, str], user_id: UUID | None) -> str:
    if user_id is None:
        return words.NOBODY
    return names.get(user_id, "(deleted user)")


async def plans(conn: AsyncConnection[Any], rotation: rotations.Rotation, now: datetime) -> Plans:
    found = await overrides.list_overrides(conn, rotation_id=rotation.id, limit=MAX_LIMIT)
    pending = await changes.list_changes(conn, rotation.id, limit=MAX_LIMIT, pending=True)
    ids = [u for o in found.items for u in (o.user_id, o.replaces_user_id) if u is not None]
    ids += [u for c in pending.items for u in c.participants or []]
    names = await views.told_apart(conn, ids)
    zone = zone_or_utc(rotation.time_zone)
    readings = await inputs.read(conn, [rotation.id])
    idle = set() if not readings else await asyncio.to_thread(_idle, readings[0], found.items)
    override_rows = [
        OverrideRow(
            o,
            _name(names, o.user_id),
            None if o.replaces_user_id is None else _name(names, o.replaces_user_id),
            o.phase(now) == "in force",
            f"not in effect: {_name(names, o.replaces_user_id)} is not on call then"
            if o.id in idle
            else None,
        )
        for o in found.items
    ]
    change_rows = [ChangeRow(c, summary(c, names, zone)) for c in pending.items]
    return Plans(override_rows, change_rows)


def _idle(reading: inputs.Reading, listed: list[overrides.Override]) -> set[UUID]:
    """The conditional overrides that decide nothing from now to their end: the person they
    replace is not the rotation's own on-call person at any time in it (issue 23)."""
    idle: set[UUID] = set()
    for o in listed:
        if o.replaces_user_id is None:
            continue
        try:
            pieces = oncall.segments(
                reading.inputs, max(o.start, reading.now), o.end, limit=IDLE_WALK
            )
        except ValueError:  # a grid written around validation: nothing to say
            continue
        if 0 < len(pieces) < IDLE_WALK and all(p.override_id != o.id for p in pieces):
            idle.add(o.id)
    return idle


def summary(change: changes.Change, names: dict[UUID, str], time_zone: str) -> str:
    """What a change sets, its start on the wall clock of the zone it will count in."""
    zone = change.time_zone or time_zone
    return words.change_summary(
        type_=change.type,
        shift_length=change.shift_length,
        start=None if change.start is None else words.in_zone(change.start, zone_or_utc(zone)),
        time_zone=change.time_zone,
        participants=None
        if change.participants is None
        else [_name(names, u) for u in change.participants],
        active_index=change.active_index,
    )


@dataclass(frozen=True, slots=True)
class Now:
    """Who is on call now, with an override in force, and the history rows in words."""

    covering: str | None  # the override's person ("nobody" included) while one decides
    covering_for: str | None  # the rotation's own person they cover for
    lines: dict[int, str]  # history entry id -> what happened


async def now_and_history(conn: AsyncConnection[Any], detail: views.RotationDetail) -> Now:
    rotation = detail.rotation
    effective = projections.Effective(
        rotation.on_call_user_id, rotation.rotation_on_call_user_id, rotation.override_id
    )
    ends = await _override_ends(conn, rotation.id, detail.history)
    ids = [u for u in (effective.user_id, effective.rotation_user_id) if u is not None]
    names = await views.told_apart(conn, ids)
    zone = zone_or_utc(rotation.time_zone)
    lines = {
        h.id: words.happened(
            h.cause,
            h.from_user_name if h.from_user_id is not None else None,
            h.to_user_name if h.to_user_id is not None else None,
            effective=h.effective,
            until_text=words.until(ends[h.override_id], h.boundary_at, zone)
            if h.cause == "override_started" and h.override_id in ends
            else None,
        )
        for h in detail.history
    }
    if effective.override_id is None:
        return Now(None, None, lines)
    covered = effective.rotation_user_id
    return Now(
        _name(names, effective.user_id),
        None if covered is None else _name(names, covered),
        lines,
    )


async def _override_ends(
    conn: AsyncConnection[Any], rotation_id: UUID, rows: list[history.Entry]
) -> dict[UUID | None, datetime]:
    """When the overrides that history rows started end (those still stored)."""
    started = [h.override_id for h in rows if h.cause == "override_started"]
    found = await overrides.get_many(conn, rotation_id, [o for o in started if o is not None])
    return {override_id: o.end for override_id, o in found.items()}  # deleted ones: absent


@dataclass(frozen=True, slots=True)
class PreviewShift:
    who: str
    start: datetime
    end: datetime
    override: bool


async def preview(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    when: datetime,
    fields: changes.Fields,
    editing: UUID | None,
) -> list[PreviewShift]:
    """The shifts from `when` on with this change added to the pending ones (replacing the
    one being edited). Raises ValueError with the reason when the projection cannot run."""
    readings = await inputs.read(conn, [rotation_id])
    if not readings:
        raise NotFound("rotation", rotation_id)
    current = readings[0].inputs
    if current.state is None:
        raise ValueError("the rotation has nobody on call to project from")
    if when - current.state.shift_start > projections.MAX_WINDOW:
        raise ValueError("the change is too far ahead to preview its shifts")
    change = oncall.ScheduledChange(
        editing or UNSAVED,
        overrides.minute(when),
        fields.type,
        fields.shift_length,
        fields.start,
        fields.time_zone,
        None if fields.participants is None else tuple(fields.participants),
        fields.active_index,
    )
    others = [c for c in current.changes if c.id != change.id]
    pending = sorted([*others, change], key=lambda c: c.effective_at)
    found = await asyncio.to_thread(
        _segments, replace(current, changes=tuple(pending)), change.effective_at
    )
    names = await views.told_apart(conn, [s.user_id for s in found if s.user_id is not None])
    return [
        PreviewShift(_name(names, s.user_id), s.start, s.end, s.override_id is not None)
        for s in found
    ]


def _segments(current: oncall.Inputs, since: datetime) -> list[oncall.Segment]:
    return oncall.segments(current, since, times.LATEST, limit=PREVIEW_SHIFTS)
