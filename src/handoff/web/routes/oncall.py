"""Who is on call now, across every rotation, optionally for one person."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response

from handoff.http.deps import Conn, Now
from handoff.store.errors import Invalid
from handoff.web import views
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/oncall")
async def on_call(
    request: Request, viewer: Viewer, conn: Conn, now: Now, user: str = "", cursor: str = ""
) -> Response:
    """`user` is a user id from the picker; an unknown or malformed one shows a message.
    A page of rotations at a time, by name (`cursor`: the next page's, from its link)."""
    people = await views.person_choices(conn, views.who(request), [user])
    chosen = next((p for p in people.people if str(p.id) == user), None)
    error = f"there is no user {user!r}; showing everyone" if user and chosen is None else None
    chosen_id: UUID | None = chosen.id if chosen else None
    try:
        found = await views.on_call_now(conn, now, chosen_id, cursor or None)
    except Invalid:
        error = "that page link is out of date; showing the first page"
        found = await views.on_call_now(conn, now, chosen_id, None)
    return page(
        request,
        "oncall.html",
        session=viewer,
        rows=found.rows,
        next_page=_next_link(chosen_id, found.next_cursor),
        people=people.people,
        choices=people,
        chosen=chosen,
        error=error,
        now=now,
    )


def _next_link(user_id: UUID | None, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return "/oncall?" + urlencode({"user": user_id or "", "cursor": cursor})
