"""The home page (people.md, "My shifts"): signed in as a person, their next shifts in every
rotation with whom they take over from and hand to, their reminders, their swaps and the open
swaps they could take. A session of a service token (no person) goes to the rotations."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import Conn, Now
from handoff.store import calendar, swaps, users
from handoff.store.pagination import MAX_LIMIT
from handoff.web import my_shifts, swaps_view
from handoff.web.render import page
from handoff.web.routes.person import reminders_of
from handoff.web.routing import WebRoute
from handoff.web.session import Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
UPCOMING = timedelta(days=28)
LIVE = ("open", "taken")  # the person's swaps still to happen or to be answered
MAX_SHIFTS_SHOWN = 10


@router.get("/")
async def home(request: Request, viewer: Viewer, conn: Conn, now: Now) -> Response:
    me = viewer.signer.user_id
    if me is None:
        return RedirectResponse("/rotations", status_code=303)
    person = await users.get(conn, me)
    theirs = await calendar.project(conn, now, now + UPCOMING, user_id=me)
    ids = [r.id for r in theirs.rotations]
    every = await calendar.project(conn, now, now + UPCOMING, rotation_ids=ids) if ids else theirs
    reminders, _ = await reminders_of(conn, me)
    mine = await swaps.list_swaps(conn, limit=MAX_LIMIT, user_id=me, not_ended=True)
    still_open = await swaps.list_swaps(conn, limit=MAX_LIMIT, status="open")
    takeable = [s for s in still_open.items if s.rotation_id in ids and s.requester_id != me]
    return page(
        request,
        "home.html",
        session=viewer,
        shifts=my_shifts.upcoming(every.segments, me, MAX_SHIFTS_SHOWN),
        projection=every,
        days=UPCOMING.days,
        reminders=reminders,
        my_swaps=swaps_view.rows(viewer, [s for s in mine.items if s.status in LIVE], now),
        takeable=swaps_view.rows(viewer, takeable, now),
        person=person,
        zone=person.time_zone or "UTC",  # the swaps' times; each shift in its rotation's zone
    )
