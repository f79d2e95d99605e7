"""/api/v1/schedules: rotations stacked into one final on-call answer (schedules.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, Response

from handoff import schedules as core
from handoff.api import calendar
from handoff.api import schemas_schedules as schemas
from handoff.api.auth import ADMIN, CALENDAR_READER, READER
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.api.routes.schedule import CALENDAR_HORIZON, CALENDAR_MEDIA_TYPE, CalendarResponse
from handoff.api.types import Instant, Text
from handoff.store import schedules, users
from handoff.store.db import snapshot
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])
ONE = "/{schedule_id}"
OVERRIDE = "/{schedule_id}/overrides/{override_id}"
DEFAULT_SPAN = timedelta(days=28)

Since = Annotated[Instant | None, Query(description="From this instant (default: now).")]
Until = Annotated[
    Instant | None, Query(description="Until this instant (default: 4 weeks after since).")
]


def out(found: schedules.Schedule) -> schemas.Schedule:
    return schemas.Schedule.model_validate(dataclasses.asdict(found))


def _window(
    since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    start = since or now
    return start, until or start + DEFAULT_SPAN


@router.post("", status_code=201, dependencies=ADMIN, responses=responses(401, 403, 409, 422))
async def create_schedule(body: schemas.ScheduleIn, conn: Conn, now: Now) -> schemas.Schedule:
    """Create a schedule of the given rotations as layers, top first."""
    draft = schedules.Draft(
        name=body.name,
        description=body.description,
        time_zone=body.time_zone,
        combine=body.combine,
        layers=body.layers,
    )
    return out(await schedules.create(conn, draft, now=now))


@router.get("", dependencies=READER, responses=responses(401, 422))
async def list_schedules(
    conn: Conn,
    now: Now,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    q: Annotated[
        Text | None, Query(max_length=schedules.MAX_NAME, description="Part of the name.")
    ] = None,
) -> schemas.SchedulePage:
    """Schedules by name, a page at a time, each with who is on call now."""
    async with snapshot(conn):
        found = await schedules.list_schedules(conn, now=now, limit=limit, cursor=cursor, q=q)
    return schemas.SchedulePage(items=[out(s) for s in found.items], next_cursor=found.next_cursor)


@router.get(ONE, dependencies=READER, responses=responses(401, 404, 422))
async def get_schedule(schedule_id: UUID, conn: Conn, now: Now) -> schemas.Schedule:
    async with snapshot(conn):
        return out(await schedules.get(conn, schedule_id, now=now))


@router.patch(ONE, dependencies=ADMIN, responses=responses(401, 403, 404, 409, 422))
async def update_schedule(
    schedule_id: UUID, body: schemas.SchedulePatch, conn: Conn, now: Now
) -> schemas.Schedule:
    """Change a schedule; new `layers` (top first) or `combine` that change who is on call
    now are recorded `layers_changed` at this request."""
    return out(
        await schedules.update(
            conn,
            schedule_id,
            now=now,
            name=body.name,
            description=body.description,
            time_zone=body.time_zone,
            combine=body.combine,
            layers=body.layers,
        )
    )


@router.delete(ONE, status_code=204, dependencies=ADMIN, responses=responses(401, 403, 404))
async def delete_schedule(schedule_id: UUID, conn: Conn) -> Response:
    await schedules.delete(conn, schedule_id)
    return Response(status_code=204)


@router.get(ONE + "/oncall", dependencies=READER, responses=responses(401, 404, 422))
async def schedule_oncall(
    schedule_id: UUID,
    conn: Conn,
    now: Now,
    at: Annotated[Instant | None, Query(description="Default: now.")] = None,
) -> schemas.OnCall:
    """Who the schedule pages at `at` (empty: a gap)."""
    instant = at or now
    async with snapshot(conn):
        found = await schedules.oncall_at(conn, schedule_id, instant)
    return schemas.OnCall(at=instant, user_ids=found)


@router.get(ONE + "/shifts", dependencies=READER, responses=responses(401, 404, 422))
async def schedule_shifts(
    schedule_id: UUID, conn: Conn, now: Now, since: Since = None, until: Until = None
) -> list[schemas.Shift]:
    """The final intervals over [since, until); consecutive equal results merge."""
    start, end = _window(since, until, now)
    async with snapshot(conn):
        found = await schedules.shifts(conn, schedule_id, start, end)
    return [schemas.Shift.model_validate(dataclasses.asdict(s)) for s in found]


@router.get(ONE + "/coverage", dependencies=READER, responses=responses(401, 404, 422))
async def schedule_coverage(
    schedule_id: UUID, conn: Conn, now: Now, since: Since = None, until: Until = None
) -> schemas.Coverage:
    """Gaps, overlaps (`union`) and clock-change weeks over [since, until), at most 366 days."""
    start, end = _window(since, until, now)
    async with snapshot(conn):
        found = await schedules.coverage(conn, schedule_id, start, end)
    return _coverage(found)


def _coverage(found: core.Coverage) -> schemas.Coverage:
    return schemas.Coverage(
        gaps=[schemas.Gap(start=s, end=e) for s, e in found.gaps],
        overlaps=[schemas.Overlap(start=s, end=e, user_ids=list(u)) for s, e, u in found.overlaps],
        clock_change_weeks=[
            schemas.ClockChangeWeek(start=w.start, zones=list(w.zones))
            for w in found.clock_change_weeks
        ],
    )


@router.get(ONE + "/history", dependencies=READER, responses=responses(401, 404, 422))
async def schedule_history(
    schedule_id: UUID, conn: Conn, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> schemas.HistoryPage:
    """The schedule's final changes, newest first."""
    found = await schedules.history(conn, schedule_id, limit=limit, cursor=cursor)
    return schemas.HistoryPage(
        items=[schemas.HistoryItem.model_validate(dataclasses.asdict(h)) for h in found.items],
        next_cursor=found.next_cursor,
    )


@router.get(
    ONE + "/calendar.ics",
    dependencies=CALENDAR_READER,
    response_class=CalendarResponse,
    responses={
        200: {
            "description": "An iCalendar feed of the next 90 days' final intervals with someone"
            f" on call (at most {calendar.MAX_FEED_EVENTS}, the earliest).",
            "content": {CALENDAR_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **responses(401, 404, 422),
    },
)
async def schedule_calendar(schedule_id: UUID, conn: Conn, now: Now) -> CalendarResponse:
    """The final on-call of the next 90 days as iCalendar, one event per final interval (the
    people of a `union` schedule's interval in one event), as a rotation's feed is."""
    async with snapshot(conn):
        found = await schedules.get(conn, schedule_id, now=now)
        shifts = await schedules.shifts(conn, schedule_id, now, now + CALENDAR_HORIZON)
        names = await users.names(conn, list({u for s in shifts for u in s.user_ids}))
    entries = [
        calendar.Entry(s.start, s.end, list(s.user_ids), s.override_id is not None) for s in shifts
    ]
    body = await anyio.to_thread.run_sync(
        calendar.feed, found.id, found.name, entries, names, now, CALENDAR_HORIZON.days
    )
    return CalendarResponse(body)


def _override(found: schedules.Override) -> schemas.Override:
    return schemas.Override.model_validate(dataclasses.asdict(found))


@router.post(
    ONE + "/overrides",
    status_code=201,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_override(
    schedule_id: UUID, body: schemas.OverrideIn, conn: Conn, now: Now
) -> schemas.Override:
    """Change the schedule's result during [start, end); 409 naming an override it overlaps."""
    draft = schedules.OverrideDraft(
        body.start, body.end, body.user_id, body.replaces_user_id, body.note
    )
    return _override(await schedules.create_override(conn, schedule_id, draft, now=now))


@router.get(ONE + "/overrides", dependencies=READER, responses=responses(401, 404, 422))
async def list_overrides(
    schedule_id: UUID,
    conn: Conn,
    now: Now,
    since: Since = None,
    until: Annotated[Instant | None, Query(description="Overrides that start before this.")] = None,
    limit: Limit = DEFAULT_LIMIT,
) -> list[schemas.Override]:
    """The schedule's overrides overlapping [since, until); by default those not ended."""
    found = await schedules.list_overrides(
        conn, schedule_id, now=now, since=since, until=until, limit=limit
    )
    return [_override(o) for o in found]


@router.get(OVERRIDE, dependencies=READER, responses=responses(401, 404, 422))
async def get_override(schedule_id: UUID, override_id: UUID, conn: Conn) -> schemas.Override:
    return _override(await schedules.get_override(conn, schedule_id, override_id))


@router.patch(OVERRIDE, dependencies=ADMIN, responses=responses(401, 403, 404, 409, 422))
async def update_override(
    schedule_id: UUID, override_id: UUID, body: schemas.OverridePatch, conn: Conn, now: Now
) -> schemas.Override:
    """Absent fields stay. A future override can change anything; one in force only its end
    (not to the past) and note; an ended one nothing (409)."""
    current = await schedules.get_override(conn, schedule_id, override_id)
    fields = {
        "start": current.start,
        "end": current.end,
        "user_id": current.user_id,
        "replaces_user_id": current.replaces_user_id,
        "note": current.note,
    } | body.edit()
    draft = schedules.OverrideDraft(**fields)
    return _override(
        await schedules.update_override(conn, schedule_id, override_id, draft, now=now)
    )


@router.delete(
    OVERRIDE, status_code=204, dependencies=ADMIN, responses=responses(401, 403, 404, 409)
)
async def delete_override(schedule_id: UUID, override_id: UUID, conn: Conn, now: Now) -> Response:
    """A future override is removed; one in force ends now; an ended one is history (409)."""
    await schedules.delete_override(conn, schedule_id, override_id, now=now)
    return Response(status_code=204)


SUBSCRIPTIONS = ONE + "/subscriptions"


@router.get(SUBSCRIPTIONS, dependencies=READER, responses=responses(401, 404, 422))
async def list_subscriptions(schedule_id: UUID, conn: Conn) -> schemas.SubscriptionList:
    """The channels told about this schedule's final changes."""
    found = await schedules.list_subscriptions(conn, schedule_id)
    return schemas.SubscriptionList(
        items=[schemas.Subscription.model_validate(dataclasses.asdict(x)) for x in found]
    )


@router.post(
    SUBSCRIPTIONS, status_code=201, dependencies=ADMIN, responses=responses(401, 403, 404, 409, 422)
)
async def subscribe(
    schedule_id: UUID, body: schemas.SubscriptionIn, conn: Conn
) -> schemas.Subscription:
    """Tell a channel about every final change of this schedule
    (`schedule.oncall_changed`, signed and retried as rotation messages are)."""
    found = await schedules.subscribe(conn, schedule_id, body.channel_id)
    return schemas.Subscription.model_validate(dataclasses.asdict(found))


@router.delete(
    SUBSCRIPTIONS + "/{subscription_id}",
    status_code=204,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def unsubscribe(schedule_id: UUID, subscription_id: UUID, conn: Conn) -> Response:
    """Stop telling the channel (messages already written are still sent)."""
    await schedules.unsubscribe(conn, schedule_id, subscription_id)
    return Response(status_code=204)
