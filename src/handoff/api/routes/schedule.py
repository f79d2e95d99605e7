"""Who is on call when: upcoming handoffs, shifts, history, the calendar feed, on call now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, Response

from handoff.api import calendar, schemas
from handoff.api.auth import CALENDAR_READER, READER
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.api.types import Instant
from handoff.store import history, projections, rotations, users
from handoff.store.pagination import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/api/v1", tags=["schedule"])
CALENDAR_HORIZON = timedelta(days=90)
CALENDAR_MEDIA_TYPE = "text/calendar"

Since = Annotated[Instant | None, Query(description="Start of the window (default: now).")]
Until = Annotated[Instant | None, Query(description="End of the window.")]


class CalendarResponse(Response):
    media_type = CALENDAR_MEDIA_TYPE


@router.get(
    "/rotations/{rotation_id}/handoffs", dependencies=READER, responses=responses(401, 404, 422)
)
async def next_handoffs(
    rotation_id: UUID,
    conn: Conn,
    now: Now,
    count: Annotated[
        int | None,
        Query(ge=1, le=projections.MAX_HANDOFFS, description="Default: one per participant."),
    ] = None,
) -> schemas.Handoffs:
    """The next handoffs from now and who takes over at each."""
    found = await projections.next_handoffs(conn, rotation_id, count, now=now)
    return schemas.Handoffs(items=[schemas.Handoff(at=at, user_id=u) for at, u in found])


@router.get(
    "/rotations/{rotation_id}/shifts", dependencies=READER, responses=responses(401, 404, 422)
)
async def shifts(
    rotation_id: UUID, conn: Conn, now: Now, since: Since = None, until: Until = None
) -> schemas.Shifts:
    """Shifts overlapping [since, until) (default: the next 7 days; at most 366 days):
    recorded history for the past, projection for the future."""
    start = since or now
    end = until or start + projections.DEFAULT_WINDOW
    found = await projections.shifts(conn, rotation_id, start, end, now=now)
    return schemas.Shifts(
        items=[
            schemas.Shift(user_id=s.user_id, start=s.start, end=s.end, override_id=s.override_id)
            for s in found
        ]
    )


@router.get(
    "/rotations/{rotation_id}/history", dependencies=READER, responses=responses(401, 404, 422)
)
async def rotation_history(
    rotation_id: UUID,
    conn: Conn,
    since: Since = None,
    until: Until = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.HistoryPage:
    """Recorded handoffs with boundaries in [since, until), newest first, a page at a time."""
    found = await history.history(
        conn, rotation_id, since=since, until=until, limit=limit, cursor=cursor
    )
    items = [schemas.HistoryEntry.model_validate(e, from_attributes=True) for e in found.items]
    return schemas.HistoryPage(items=items, next_cursor=found.next_cursor)


@router.get(
    "/rotations/{rotation_id}/calendar.ics",
    dependencies=CALENDAR_READER,
    response_class=CalendarResponse,
    responses={
        200: {
            "description": "An iCalendar feed of the next 90 days' shifts (at most"
            f" {calendar.MAX_FEED_EVENTS}, the earliest).",
            "content": {CALENDAR_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **responses(401, 404, 422),
    },
)
async def calendar_feed(rotation_id: UUID, conn: Conn, now: Now) -> CalendarResponse:
    """The projected shifts of the next 90 days as iCalendar, one event per shift."""
    rotation = await rotations.get(conn, rotation_id, now=now)
    found = await projections.shifts(conn, rotation_id, now, now + CALENDAR_HORIZON, now=now)
    names = await users.names(conn, list({s.user_id for s in found if s.user_id}))
    body = await anyio.to_thread.run_sync(
        calendar.feed,
        rotation.id,
        rotation.name,
        calendar.rotation_entries(found),
        names,
        now,
        CALENDAR_HORIZON.days,
    )
    return CalendarResponse(body)


@router.get("/oncall", dependencies=READER, responses=responses(401, 404, 422))
async def oncall(
    conn: Conn,
    now: Now,
    at: Annotated[Instant | None, Query(description="Default: now.")] = None,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Rotations per page (not items).")
    ] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.OnCalls:
    """Who is on call at `at` (default now) in each rotation; the future is projected.

    Paginated by rotation, by name: a page covers up to `limit` rotations and holds one item
    for each that has someone on call then, so it can hold fewer than `limit` items (with
    `user_id`, only that user's entries, among the rotations they may be on call in) while
    `next_cursor` still leads to more. Follow `next_cursor` until it is null for every
    rotation."""
    when: datetime = at or now
    found = await projections.oncall_page(
        conn,
        when,
        limit=limit,
        cursor=cursor,
        rotation_id=rotation_id,
        user_id=user_id,
        now=now,
    )
    return schemas.OnCalls(
        items=[schemas.OnCall.model_validate(o, from_attributes=True) for o in found.items],
        next_cursor=found.next_cursor,
    )
