"""A person's calendar feed (notify.md) and the feed tokens that let calendar clients read it.

`GET /users/{id}/calendar.ics` takes any API token (header or `?token=`, as the rotation feed
does) or that person's own feed token in `?token=`: calendar clients cannot send headers, and
a feed token reads this one feed and nothing else. Admins make and revoke feed tokens; the
secret is in the answer to the POST only, and no reader ever sees one.

A feed is bounded, so that no token can make the service build megabytes: the next 180 days,
at most MAX_FEED_EVENTS shifts (the earliest) and MAX_FEED_ALARMS alarms per shift (the
shortest lead times), as its description says; it is built in a worker thread, off the event
loop, so that building it delays no other request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from icalendar import Alarm, Calendar, Event
from psycopg import AsyncConnection
from pydantic import BaseModel

from handoff.api.auth import SELF_OR_ADMIN, bearer, calendar_reader, query_token
from handoff.api.calendar import MAX_FEED_EVENTS, PRODID, describe, ical_text
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.query import reject_unknown_query
from handoff.api.types import UtcTime
from handoff.store import calendar, feeds, notify, users

router = APIRouter(prefix="/api/v1/users/{user_id}", tags=["users"])
FEED_HORIZON = timedelta(days=180)
FIRST_WINDOW = timedelta(days=14)  # projected first; widened while it holds too few shifts
MAX_FEED_ALARMS = 5
CALENDAR_MEDIA_TYPE = "text/calendar"


class NewFeedToken(BaseModel):
    """A new feed token: `token` and `url` are shown this once and cannot be read again."""

    id: UUID
    user_id: UUID
    created_at: UtcTime
    token: str
    url: str


class CalendarResponse(Response):
    media_type = CALENDAR_MEDIA_TYPE


async def feed_reader(
    request: Request,
    user_id: UUID,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    secret: Annotated[str | None, Depends(query_token)],
    conn: Conn,
    now: Now,
) -> None:
    """This person's feed token in `?token=`, or else any API token (401 otherwise)."""
    if (
        credentials is None
        and secret
        and await feeds.authenticate(conn, user_id, secret, now=now) is not None
    ):
        return
    await calendar_reader(request, credentials, secret, conn, now)


def personal_feed(
    user: users.User, projection: calendar.Projection, leads: list[int], now: datetime
) -> bytes:
    """One VEVENT per shift of the person, in every rotation (own and override shifts), each
    with a VALARM per reminder lead time (`leads`, minutes before the shift starts): the
    earliest MAX_FEED_EVENTS shifts, the shortest MAX_FEED_ALARMS lead times."""
    segments = sorted(projection.segments, key=lambda s: (s.start, str(s.rotation_id)))
    shown, hidden = segments[:MAX_FEED_EVENTS], segments[MAX_FEED_EVENTS:]
    ical = Calendar()
    ical.add("prodid", PRODID)
    ical.add("version", "2.0")
    ical.add("x-wr-calname", ical_text(f"{user.name} on call"))
    describe(
        ical,
        f"Shifts of {user.name} in the next {FEED_HORIZON.days} days, with at most"
        f" {MAX_FEED_ALARMS} alarms each",
        hidden[0].start if hidden else None,
    )
    for segment in shown:
        rotation = projection.rotation(segment.rotation_id)
        kind = " (override)" if segment.override_id else ""
        event = Event()
        event.add("uid", f"{rotation.id}-{user.id}-{int(segment.start.timestamp())}@handoff")
        event.add("dtstamp", now)
        event.add("dtstart", segment.start)
        event.add("dtend", segment.end)
        event.add("summary", ical_text(f"On call: {rotation.name}{kind}"))
        event.add(
            "description", ical_text(f"rotation_id: {rotation.id}, time zone: {rotation.time_zone}")
        )
        for lead in sorted(leads)[:MAX_FEED_ALARMS]:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", ical_text(f"On call soon: {rotation.name}{kind}"))
            alarm.add("trigger", -timedelta(minutes=lead))
            event.add_component(alarm)
        ical.add_component(event)
    body: bytes = ical.to_ical()
    return body


@router.get(
    "/calendar.ics",
    name="personal_calendar",
    dependencies=[Depends(feed_reader), Depends(reject_unknown_query)],
    response_class=CalendarResponse,
    responses={
        200: {
            "description": "An iCalendar feed of the person's shifts in the next 180 days"
            f" (at most {MAX_FEED_EVENTS}, the earliest).",
            "content": {CALENDAR_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **responses(401, 404, 422),
    },
)
async def personal_calendar(user_id: UUID, conn: Conn, now: Now) -> CalendarResponse:
    """Every shift of the person in every rotation, own and override shifts, next 180 days,
    with an alarm per reminder setting (notify.md): at most 1000 shifts, the earliest, and 5
    alarms each, as the feed's description says.

    Besides API tokens, takes the person's feed token as `?token=`."""
    user = await users.get(conn, user_id)
    projection = await _projection(conn, user_id, now)
    # One alarm per lead time: two channels reminding an hour before are one alarm in a calendar.
    leads = sorted({r.before_minutes for r in await notify.list_reminders(conn, user_id)})
    body = await anyio.to_thread.run_sync(personal_feed, user, projection, leads, now)
    return CalendarResponse(body)


async def _projection(
    conn: AsyncConnection[Any], user_id: UUID, now: datetime
) -> calendar.Projection:
    """The person's shifts from now over a window widened (14, 56, 180 days) only while it
    holds no more than the feed carries: a person in hundreds of rotations costs a fortnight's
    projection, not half a year's."""
    window = FIRST_WINDOW
    while True:
        projection = await calendar.project(conn, now, now + window, user_id=user_id)
        if len(projection.segments) > MAX_FEED_EVENTS or window >= FEED_HORIZON:
            return projection
        window = min(window * 4, FEED_HORIZON)


@router.post(
    "/feed-token",
    status_code=201,
    dependencies=SELF_OR_ADMIN,
    responses=responses(401, 403, 404, 409, 422),
)
async def create_feed_token(request: Request, user_id: UUID, conn: Conn, now: Now) -> NewFeedToken:
    """A new feed token for the person; the previous one, if any, stops working."""
    token, secret = await feeds.create(conn, user_id, now=now)
    url = request.url_for("personal_calendar", user_id=user_id).include_query_params(token=secret)
    return NewFeedToken(
        id=token.id,
        user_id=token.user_id,
        created_at=token.created_at,
        token=secret,
        url=str(url),
    )


@router.delete(
    "/feed-token",
    status_code=204,
    response_class=Response,
    dependencies=SELF_OR_ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def revoke_feed_token(user_id: UUID, conn: Conn, now: Now) -> None:
    """Revoke the person's feed token: calendars reading it get a 401 from now on."""
    await feeds.revoke(conn, user_id, now=now)
