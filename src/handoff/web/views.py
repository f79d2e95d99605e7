"""What the pages show, gathered from the store's public functions (no SQL, no rules here).

Each function returns plain data for one template; names are looked up once per page, and a
rotation whose stored grid no longer validates (written around the API) still renders, without
its projections.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from handoff import hours
from handoff.store import history, jobs, projections, rotations, status, users
from handoff.store.errors import NotFound, StoreError
from handoff.store.pagination import MAX_LIMIT
from handoff.web import timeline, words

LIST_PAGE = 50
HISTORY_ROWS = 50
TIMELINE_CYCLES = 2  # the timeline shows at least this many full cycles of the rotation
PREVIEW_COUNT = 6
JOBS_SHOWN = 50


def phrase(rotation: rotations.Rotation) -> str:
    """How the rotation hands off and, with active hours, when it is on call (hours.md)."""
    try:
        text = words.describe(
            rotation.type, rotation.shift_length, rotation.start, rotation.time_zone
        )
    except (ValueError, KeyError, OSError):
        return f"{rotation.type} rotation with a time zone this server does not know"
    windows = hours.parse_windows(rotation.active_hours)
    if windows is None:
        return text
    turns = (
        "turns pass on the calendar" if rotation.turns == "calendar" else "turns count active time"
    )
    return f"{text}; on call {hours.describe(windows, rotation.time_zone)} ({turns})"


@dataclass(frozen=True, slots=True)
class ListRow:
    rotation: rotations.Rotation
    phrase: str
    on_call: str | None


@dataclass(frozen=True, slots=True)
class RotationList:
    rows: list[ListRow]
    next_cursor: str | None


async def rotation_list(
    conn: AsyncConnection[Any], now: datetime, q: str, cursor: str | None
) -> RotationList:
    found = await rotations.list_rotations(
        conn, now=now, limit=LIST_PAGE, cursor=cursor, q=q or None
    )
    on_call = [r.on_call_user_id for r in found.items if r.on_call_user_id is not None]
    names = await users.names(conn, on_call)
    rows = [
        ListRow(r, phrase(r), names.get(r.on_call_user_id) if r.on_call_user_id else None)
        for r in found.items
    ]
    return RotationList(rows, found.next_cursor)


@dataclass(frozen=True, slots=True)
class Member:
    participant: rotations.ParticipantView
    name: str
    active: bool


@dataclass(frozen=True, slots=True)
class RotationDetail:
    rotation: rotations.Rotation
    phrase: str
    members: list[Member]
    on_call: str | None
    segments: list[timeline.Segment]
    now_offset: float | None
    timeline_note: str | None
    history: list[history.Entry]


async def _timeline(
    conn: AsyncConnection[Any], rotation: rotations.Rotation, now: datetime
) -> tuple[list[projections.Shift], str | None]:
    """The shifts from the current one through TIMELINE_CYCLES full cycles (at most 366 days)."""
    if not rotation.participants:
        return [], "Add participants to see the timeline."
    try:
        grid = rotation.grid()
        count = TIMELINE_CYCLES * len(rotation.participants) + 1
        until = grid.next_handoffs(now, count)[-1]
    except ValueError:
        return [], "This rotation's stored schedule is not valid; edit it to fix it."
    note = None
    if until - now > projections.MAX_WINDOW:
        until = now + projections.MAX_WINDOW
        note = f"Showing the next {projections.MAX_WINDOW.days} days."
    return await projections.shifts(conn, rotation.id, now, until, now=now), note


async def rotation_detail(
    conn: AsyncConnection[Any], rotation_id: UUID, now: datetime
) -> RotationDetail:
    rotation = await rotations.get(conn, rotation_id, now=now)
    shifts, note = await _timeline(conn, rotation, now)
    ids = [p.user_id for p in rotation.participants] + [s.user_id for s in shifts if s.user_id]
    names = await _told_apart(conn, await users.names(conn, list(set(ids))))
    members = [
        Member(p, names.get(p.user_id, "(deleted user)"), p.position == rotation.active_index)
        for p in rotation.participants
    ]
    recorded = await history.history(conn, rotation_id, limit=HISTORY_ROWS)
    return RotationDetail(
        rotation=rotation,
        phrase=phrase(rotation),
        members=members,
        on_call=names.get(rotation.on_call_user_id) if rotation.on_call_user_id else None,
        segments=timeline.segments(shifts, names, now),
        now_offset=timeline.now_offset(shifts, now),
        timeline_note=note,
        history=recorded.items,
    )


def labels(names: dict[UUID, str], emails: dict[UUID, str | None]) -> dict[UUID, str]:
    """Names as a page shows them: where people share a name, each gets their email (or the
    start of their id) after it, so "Put Ann on call" says which Ann."""
    counts = Counter(names.values())
    return {
        user_id: f"{name} ({emails.get(user_id) or str(user_id)[:8]})" if counts[name] > 1 else name
        for user_id, name in names.items()
    }


async def _told_apart(conn: AsyncConnection[Any], names: dict[UUID, str]) -> dict[UUID, str]:
    counts = Counter(names.values())
    emails: dict[UUID, str | None] = {}
    for user_id, name in names.items():
        if counts[name] > 1:
            with contextlib.suppress(NotFound):  # deleted since: their name alone will do
                emails[user_id] = (await users.get(conn, user_id)).email
    return labels(names, emails)


async def all_users(conn: AsyncConnection[Any]) -> list[users.User]:
    """Everyone, for the pickers (every page of the store's list)."""
    found = await users.list_users(conn, limit=MAX_LIMIT)
    result = list(found.items)
    while found.next_cursor is not None:
        found = await users.list_users(conn, limit=MAX_LIMIT, cursor=found.next_cursor)
        result.extend(found.items)
    return result


async def all_rotations(conn: AsyncConnection[Any], now: datetime) -> list[rotations.Rotation]:
    """Every rotation, by name (every page of the store's list)."""
    found = await rotations.list_rotations(conn, now=now, limit=MAX_LIMIT)
    result = list(found.items)
    while found.next_cursor is not None:
        found = await rotations.list_rotations(
            conn, now=now, limit=MAX_LIMIT, cursor=found.next_cursor
        )
        result.extend(found.items)
    return result


async def _on_call_user(
    conn: AsyncConnection[Any], rotation: rotations.Rotation, now: datetime
) -> UUID | None:
    """Who is on call at `now`, as the On call now page says (the grid walked on from the
    stored state, so a boundary the engine has yet to process counts); the stored state's
    person for a grid that cannot be projected."""
    if not rotation.participants:
        return None
    try:
        found = await projections.oncall(conn, now, rotation_id=rotation.id, now=now)
    except StoreError:
        return rotation.on_call_user_id
    return found[0].user_id if found else rotation.on_call_user_id


@dataclass(frozen=True, slots=True)
class Membership:
    rotation: rotations.Rotation
    on_call: bool


@dataclass(frozen=True, slots=True)
class Person:
    user: users.User
    memberships: list[Membership]  # each rotation once, by name, however often they are in it

    @property
    def on_call(self) -> list[rotations.Rotation]:
        return [m.rotation for m in self.memberships if m.on_call]


async def people(conn: AsyncConnection[Any], now: datetime) -> list[Person]:
    """Everyone, by name, with the rotations each is in and where each is on call now."""
    everyone = await all_users(conn)
    found = await all_rotations(conn, now)
    memberships: dict[UUID, list[Membership]] = {}
    for rotation in found:
        on_call = await _on_call_user(conn, rotation, now)
        for user_id in dict.fromkeys(p.user_id for p in rotation.participants):
            memberships.setdefault(user_id, []).append(Membership(rotation, user_id == on_call))
    return [Person(u, memberships.get(u.id, [])) for u in everyone]


async def person(conn: AsyncConnection[Any], user_id: UUID, now: datetime) -> Person:
    """One user with their rotations (NotFound if there is no such user)."""
    user = await users.get(conn, user_id)
    memberships: list[Membership] = []
    for rotation in await all_rotations(conn, now):
        if any(p.user_id == user_id for p in rotation.participants):
            on_call = await _on_call_user(conn, rotation, now)
            memberships.append(Membership(rotation, on_call == user_id))
    return Person(user, memberships)


@dataclass(frozen=True, slots=True)
class OnCallRow:
    rotation: rotations.Rotation
    user_id: UUID | None  # None: nobody (an override naming nobody)
    user_name: str
    shift_start: datetime
    shift_end: datetime


async def on_call_now(
    conn: AsyncConnection[Any], now: datetime, user_id: UUID | None
) -> list[OnCallRow]:
    found = await projections.oncall(conn, now, user_id=user_id, now=now)
    names = await users.names(conn, list({o.user_id for o in found}))
    rows = [
        OnCallRow(
            await rotations.get(conn, o.rotation_id, now=now),
            o.user_id,
            names.get(o.user_id, "(deleted user)"),
            o.shift_start,
            o.shift_end,
        )
        for o in found
    ]
    return sorted(rows, key=lambda r: r.rotation.name)


@dataclass(frozen=True, slots=True)
class EngineView:
    status: status.EngineStatus
    jobs: list[jobs.Job]
    state: str


async def engine(conn: AsyncConnection[Any], now: datetime, state: str) -> EngineView:
    found = await status.engine_status(conn, now=now)
    listed = await jobs.list_jobs(conn, state=state or None, limit=JOBS_SHOWN)
    return EngineView(found, listed.items, state)
