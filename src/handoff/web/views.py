"""What the pages show, gathered from the store's public functions (no SQL, no rules here).

Each function returns plain data for one template; names are looked up once per page, and a
rotation whose stored grid no longer validates (written around the API) still renders, without
its projections.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from psycopg import AsyncConnection

from handoff import hours
from handoff.store import history, jobs, projections, rotations, status, text, users
from handoff.store.pagination import MAX_LIMIT
from handoff.web import timeline, words

LIST_PAGE = 50
MAX_WHO = 100  # a picker's search text, cut
# People a page lists: each brings at most PEOPLE_ROTATIONS of the rotations they are in
# (hundreds each with 100,000 rotations among 1,000 people), every one with who is on call now,
# and the count of the others.
PEOPLE_PAGE = 20
PEOPLE_ROTATIONS = 5
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
    names = await told_apart(conn, ids)
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


async def told_apart(conn: AsyncConnection[Any], user_ids: list[UUID]) -> dict[UUID, str]:
    """The `labels` of these users (those that still exist), read in one statement."""
    found = await users.contacts(conn, list(set(user_ids)))
    return labels(
        {u: name for u, (name, _) in found.items()}, {u: email for u, (_, email) in found.items()}
    )


@dataclass(frozen=True, slots=True)
class PersonChoices:
    """A person picker's options: the first `LIST_PAGE` people by name whose name or email
    has `who`, and the chosen ones wherever they fall; `more` says others match too (the
    picker then offers its search, `find_people.html`)."""

    people: list[users.User]
    who: str
    more: bool


async def person_choices(
    conn: AsyncConnection[Any], who: str, chosen: Iterable[UUID | str | None] = ()
) -> PersonChoices:
    """The options of a person picker (never everyone: ten thousand people make a page of
    megabytes), in at most two statements. `chosen` may hold ids as typed (a malformed or
    unknown one is left out, as the picker's own check then says)."""
    who = who.strip()[:MAX_WHO]
    found = await users.list_users(conn, limit=LIST_PAGE, q=who or None)
    listed = {u.id: u for u in found.items}
    wanted = [u for u in map(_uuid, chosen) if u is not None and u not in listed]
    if wanted:
        listed |= {u.id: u for u in await users.get_many(conn, wanted)}
    people = sorted(listed.values(), key=lambda u: (u.name, str(u.id)))
    return PersonChoices(people, who, found.next_cursor is not None)


def who(request: Request) -> str:
    """The picker's search text from the page's address (`?who=`)."""
    return request.query_params.get("who", "")


def _uuid(value: UUID | str | None) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RotationChoices:
    """A rotation picker's options: the first `LIST_PAGE` rotations by name whose name has
    `named`, and the chosen one wherever it falls; `more` says others match too (the picker
    then offers its search, `find_people.html`'s `ROTATIONS`)."""

    rotations: list[rotations.Rotation]
    named: str
    more: bool


async def rotation_choices(
    conn: AsyncConnection[Any], now: datetime, q: str, chosen: UUID | None
) -> RotationChoices:
    """The options of a rotation picker (never every rotation), in at most two statements.
    `q` comes from an address as typed: it is cut, and text no name can hold (a control
    character) matches nobody rather than failing the page."""
    q = q.strip()[: rotations.MAX_NAME]
    found: list[rotations.Rotation] = []
    more = False
    if not text.problem(q):
        page = await rotations.list_rotations(conn, now=now, limit=LIST_PAGE, q=q or None)
        found, more = page.items, page.next_cursor is not None
    if chosen is not None and all(r.id != chosen for r in found):
        found.extend((await rotations.get_many(conn, [chosen], now=now)).values())
    return RotationChoices(found, q, more)


def named(request: Request) -> str:
    """A rotation picker's search text from the page's address (`?named=`)."""
    return request.query_params.get("named", "")


@dataclass(frozen=True, slots=True)
class Membership:
    rotation: rotations.Rotation
    on_call: bool


@dataclass(frozen=True, slots=True)
class Person:
    user: users.User
    # Each rotation once, however often they are in it; by name (the people page: those they
    # are on call in first).
    memberships: list[Membership]
    more: bool = False  # they are in more rotations than the page lists
    others: int = 0  # the rotations they are in beyond `memberships`, counted (the people page)

    @property
    def on_call(self) -> list[rotations.Rotation]:
        return [m.rotation for m in self.memberships if m.on_call]


@dataclass(frozen=True, slots=True)
class PeoplePage:
    people: list[Person]
    next_cursor: str | None


def _memberships(user_id: UUID, found: list[rotations.Rotation]) -> list[Membership]:
    """The rotations of `found` the person takes part in; on call where the rotation's
    effective person now (overrides applied, read with it) is they."""
    return [
        Membership(r, r.on_call_user_id == user_id)
        for r in found
        if any(p.user_id == user_id for p in r.participants)
    ]


async def people(conn: AsyncConnection[Any], now: datetime, cursor: str | None) -> PeoplePage:
    """A page of people, by name, each with at most PEOPLE_ROTATIONS of the rotations they
    are in, those they are on call in now first, then by name, and the count of the others:
    the page, then those rotations of all of them in one read."""
    listed = await users.list_users(conn, limit=PEOPLE_PAGE, cursor=cursor)
    found = await rotations.of_members(
        conn, [u.id for u in listed.items], now=now, shown=PEOPLE_ROTATIONS
    )
    shown: list[Person] = []
    for u in listed.items:
        theirs = found.get(u.id, rotations.Memberships([], 0))
        memberships = sorted(
            _memberships(u.id, theirs.rotations), key=lambda m: (not m.on_call, m.rotation.name)
        )
        shown.append(Person(u, memberships, others=theirs.total - len(memberships)))
    return PeoplePage(shown, listed.next_cursor)


async def person(conn: AsyncConnection[Any], user_id: UUID, now: datetime) -> Person:
    """One user with their rotations, the first MAX_LIMIT by name (NotFound if there is no
    such user)."""
    user = await users.get(conn, user_id)
    found = await rotations.list_rotations(conn, now=now, limit=MAX_LIMIT, member=user_id)
    return Person(user, _memberships(user_id, found.items), found.next_cursor is not None)


@dataclass(frozen=True, slots=True)
class OnCallRow:
    rotation: rotations.Rotation
    user_id: UUID | None  # None: nobody (an override naming nobody)
    user_name: str
    shift_start: datetime
    shift_end: datetime


@dataclass(frozen=True, slots=True)
class OnCallPage:
    rows: list[OnCallRow]
    next_cursor: str | None


async def on_call_now(
    conn: AsyncConnection[Any], now: datetime, user_id: UUID | None, cursor: str | None
) -> OnCallPage:
    """Who is on call now in a page of rotations, by rotation name: the page's projection,
    then its rotations and names, each in one read."""
    found = await projections.oncall_page(
        conn, now, limit=LIST_PAGE, cursor=cursor, user_id=user_id, now=now
    )
    names = await users.names(conn, list({o.user_id for o in found.items}))
    shown = await rotations.get_many(conn, [o.rotation_id for o in found.items], now=now)
    rows = [
        OnCallRow(
            shown[o.rotation_id],
            o.user_id,
            names.get(o.user_id, "(deleted user)"),
            o.shift_start,
            o.shift_end,
        )
        for o in found.items
        if o.rotation_id in shown
    ]
    return OnCallPage(rows, found.next_cursor)


@dataclass(frozen=True, slots=True)
class EngineView:
    status: status.EngineStatus
    jobs: list[jobs.Job]
    state: str


async def engine(conn: AsyncConnection[Any], now: datetime, state: str) -> EngineView:
    found = await status.engine_status(conn, now=now)
    listed = await jobs.list_jobs(conn, state=state or None, limit=JOBS_SHOWN)
    return EngineView(found, listed.items, state)
