"""The calendar: who is on call, rotation by rotation, over a week or a month.

Drawn on the server in the viewer's time zone (`?tz=`, which the page's script fills in from
the browser; UTC until it does). Every parameter comes from links and a GET form, so a value
the page cannot use (a date that does not exist, an unknown zone, person or rotation) shows a
message and the nearest sensible calendar instead of an error page.

Schedules the filters match are drawn above, one row each (their final on-call), at most
calendar_schedules.LANES[view] of them, said the same way; on the first page of lanes only,
so that paging on through the rotations never draws a schedule again (the schedules left out
are counted there, and a search on the name finds them).

A page draws at most calendar_layout.LANES[view] rotations and says how many more there are
(a search on the name, a rotation or a person narrows them); only those rotations are read
and projected, the next page of lanes follows the last one drawn (`after`, a rotation
name), and the rotation picker offers the first page of the search's matches and the
chosen one, never every rotation. The layout and the HTML are built in a worker thread, off
the event loop, so a big page delays no other request.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response

from handoff.grid import load_zone
from handoff.http.deps import Conn, Now
from handoff.store import calendar, rotations, schedules, times
from handoff.web import calendar_layout, calendar_schedules, views
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
DEFAULT_ZONE = "UTC"
MAX_PARAMETER = 100  # longer than any date, zone name or id these parameters take
# Dates whose padded month, in any zone, stays inside the instants a projection accepts.
FIRST_DAY = times.EARLIEST.date() + timedelta(days=62)
LAST_DAY = times.LATEST.date() - timedelta(days=62)


@dataclass
class Choice:
    """What the viewer asked for, as understood, and a message for each part that was not."""

    view: str = "week"
    anchor: date | None = None
    zone_name: str = DEFAULT_ZONE
    zone_given: bool = False  # False until the page's script has sent the browser's zone
    person: UUID | None = None
    rotation: UUID | None = None
    q: str = ""  # a search on the rotations' names
    after: str = ""  # the lanes begin after this rotation name (the next page of lanes)
    errors: list[str] = field(default_factory=list)
    everyone: bool = False  # a person chose "everyone": their links keep it (not "me" again)

    @property
    def zone(self) -> ZoneInfo:
        return load_zone(self.zone_name)

    def link(self, **changed: object) -> str:
        """This calendar's address with some parameters changed (None drops one)."""
        params: dict[str, object] = {
            "view": self.view,
            "date": self.anchor.isoformat() if self.anchor else None,
            "tz": self.zone_name if self.zone_given else None,
            "person": self.person or ("" if self.everyone else None),
            "rotation": self.rotation,
            "q": self.q or None,
            "after": self.after or None,
        } | changed
        return "/calendar?" + urlencode({k: str(v) for k, v in params.items() if v is not None})


def _parse(
    view: str, day: str, tz: str, person: str, rotation: str, q: str = "", after: str = ""
) -> Choice:
    view, day, tz, person, rotation = (v[:MAX_PARAMETER] for v in (view, day, tz, person, rotation))
    q, after = (v[: rotations.MAX_NAME].replace("\0", "") for v in (q, after))
    choice = Choice(q=q.strip(), after=after)
    if view in calendar_layout.VIEWS:
        choice.view = view
    elif view:
        choice.errors.append(f"there is no {view!r} view; showing a week")
    if day:
        try:
            anchor = date.fromisoformat(day)
        except ValueError:
            choice.errors.append(f"{day!r} is not a date (YYYY-MM-DD); showing today")
        else:
            if FIRST_DAY <= anchor <= LAST_DAY:
                choice.anchor = anchor
            else:
                choice.errors.append(
                    f"{day!r} is out of range ({FIRST_DAY} to {LAST_DAY}); showing today"
                )
    if tz:
        try:
            load_zone(tz)
            choice.zone_name, choice.zone_given = tz, True
        except ValueError as exc:
            choice.errors.append(f"{exc}; showing times in {DEFAULT_ZONE}")
    for name, value in (("person", person), ("rotation", rotation)):
        if not value:
            continue
        try:
            setattr(choice, name, UUID(value))
        except ValueError:
            choice.errors.append(f"there is no {name} {value!r}; showing everyone")
    return choice


@router.get("/calendar")
async def calendar_page(
    request: Request,
    viewer: Viewer,
    conn: Conn,
    now: Now,
    view: str = "",
    day: Annotated[str, Query(alias="date")] = "",
    tz: str = "",
    person: str | None = None,
    rotation: str = "",
    q: str = "",
    after: str = "",
) -> Response:
    """Signed in as a person, the calendar opens on them (people.md); `person=` (empty)
    shows everyone."""
    me = viewer.signer.user_id
    chosen = str(me or "") if person is None else person
    choice = _parse(view, day, tz, chosen, rotation, q, after)
    choice.everyone = person == "" and me is not None
    zone = choice.zone
    today = now.astimezone(zone).date()
    people = await views.person_choices(conn, views.who(request), [choice.person])
    choices = (await views.rotation_choices(conn, now, choice.q, choice.rotation)).rotations
    if choice.person and all(p.id != choice.person for p in people.people):
        choice.errors.append("there is no such person; showing everyone")
        choice.person = None
    if choice.rotation and all(r.id != choice.rotation for r in choices):
        choice.errors.append("there is no such rotation; showing every rotation")
        choice.rotation = None
    span = calendar_layout.period(choice.view, choice.anchor or today)
    since, until = calendar_layout.bounds(span.days, zone)
    projection = await calendar.project(
        conn,
        since,
        until,
        rotation_ids=[choice.rotation] if choice.rotation else None,
        user_id=choice.person,
        q=None if choice.rotation else choice.q or None,
        after=None if choice.rotation else choice.after or None,
        limit=calendar_layout.LANES[choice.view],
    )
    hidden = projection.hidden
    first_page = choice.rotation is not None or not choice.after
    plans: list[schedules.CalendarRow] = []
    plans_hidden = 0
    if first_page:
        plans, plans_hidden = await schedules.calendar(
            conn,
            since,
            until,
            limit=calendar_schedules.LANES[choice.view],
            q=choice.q or None,
            rotation_id=choice.rotation,
            user_id=choice.person,
        )
    # People who share a name are told apart (by email) wherever the calendar names them.
    listed = people.people
    told_apart = views.labels({p.id: p.name for p in listed}, {p.id: p.email for p in listed})
    names = {u: told_apart.get(u, name) for u, name in projection.names.items()}
    projection = dataclasses.replace(projection, names=names)
    palette = calendar_layout.colours([p.id for p in listed])

    def draw() -> Response:
        return page(
            request,
            "calendar.html",
            session=viewer,
            choice=choice,
            span=span,
            today=today,
            people=listed,
            choices=people,
            rotations=choices,
            projection=projection,
            hidden=hidden,
            weeks=calendar_layout.weeks(projection, span, zone, now, palette),
            days=calendar_layout.day_list(projection, span, zone, now, palette),
            when=functools.partial(calendar_layout.wall, zone),
            plans=plans,
            plans_hidden=plans_hidden,
            first_page=first_page,
            plan_weeks=calendar_schedules.weeks(plans, span, zone, now, told_apart, palette),
            plan_days=calendar_schedules.day_list(plans, span, zone, now, told_apart, palette),
        )

    response: Response = await anyio.to_thread.run_sync(draw)
    return response
