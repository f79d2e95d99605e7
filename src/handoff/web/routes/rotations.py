"""The rotations list and a rotation's page, with its participant controls.

Each participant control is a plain form POST (it works without JavaScript) that calls one
store function, which applies engine.md's rule in its own transaction, then redirects back to
the page (post/redirect/get). A refused change re-renders the page with the store's message.
The page's live part is re-fetched by htmx every few seconds, so a handoff shows up unasked;
it is replaced only when it changed (ETag), so a person tabbing through the page keeps their
place.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import AppSettings, Conn, Now
from handoff.store import participants, rotations, swaps, users
from handoff.store.errors import Invalid, NotFound, StoreError, invalid
from handoff.store.pagination import MAX_LIMIT
from handoff.web import oncall_view, swaps_view, views
from handoff.web.flash import flash
from handoff.web.render import live, page, rendered
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Search = Annotated[str, Query(max_length=rotations.MAX_NAME)]
LIVE_PARTS = "rotation_live_parts.html"
ROWS = "rotations_rows.html"


@router.get("/rotations")
async def rotation_list(
    request: Request,
    viewer: Viewer,
    conn: Conn,
    now: Now,
    q: Search = "",
    cursor: str | None = None,
) -> Response:
    return await _list(request, viewer, conn, now, q, cursor, "rotations.html")


@router.get("/rotations/rows")
async def rotation_rows(
    request: Request,
    viewer: Viewer,
    conn: Conn,
    now: Now,
    q: Search = "",
    cursor: str | None = None,
) -> Response:
    """The list's table body alone: what the search box and the periodic refresh swap in."""
    return await _list(request, viewer, conn, now, q, cursor, ROWS)


async def _list(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    q: str,
    cursor: str | None,
    template: str,
) -> Response:
    error: str | None = None
    try:
        found = await views.rotation_list(conn, now, q, cursor or None)
    except Invalid as exc:
        found, error = views.RotationList([], None), str(exc)
    rows, etag = rendered(request, "rotations_list.html", listing=found, q=q, error=error)
    context: dict[str, Any] = {
        "session": viewer,
        "q": q,
        "cursor": cursor,
        "rows": rows,
        "rows_etag": etag,
    }
    if template == ROWS:
        return live(request, ROWS, etag, **context)
    return page(request, template, **context)


async def detail_page(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    rotation_id: UUID,
    error: str | None = None,
    status_code: int = 200,
    plan_error: str | None = None,
    swap_error: str | None = None,
) -> Response:
    """The page, with its live part rendered as the poll renders it (so their ETags agree);
    `plan_error` is shown next to the overrides and scheduled changes, `swap_error` next to
    the swaps."""
    detail = await views.rotation_detail(conn, rotation_id, now)
    in_it = {p.user_id for p in detail.rotation.participants}
    of_rotation = await swaps.list_swaps(
        conn, limit=MAX_LIMIT, rotation_id=rotation_id, not_ended=True
    )
    choices = await views.person_choices(conn, views.who(request)) if viewer.can_write else None
    extra = await oncall_view.now_and_history(conn, detail)
    parts, etag = rendered(request, LIVE_PARTS, session=viewer, d=detail, o=extra)
    return page(
        request,
        "rotation.html",
        status_code,
        session=viewer,
        d=detail,
        people=choices.people if choices else [],
        choices=choices,
        error=error,
        live=parts,
        live_etag=etag,
        plans=await oncall_view.plans(conn, detail.rotation, now),
        plan_error=plan_error,
        swaps=swaps_view.rows(viewer, of_rotation.items, now, in_it),
        asks_for_cover=swaps_view.asks_for_cover(viewer, in_it),
        swap_error=swap_error,
    )


@router.get("/rotations/{rotation_id}")
async def rotation_page(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    return await detail_page(request, viewer, conn, now, rotation_id)


@router.get("/rotations/{rotation_id}/live")
async def rotation_live(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    """The part of the rotation page that changes by itself, polled by htmx: a 304 while it is
    what the page shows, so nothing is replaced and focus and scroll stay where they are."""
    detail = await views.rotation_detail(conn, rotation_id, now)
    extra = await oncall_view.now_and_history(conn, detail)
    parts, etag = rendered(request, LIVE_PARTS, session=viewer, d=detail, o=extra)
    return live(request, "rotation_live.html", etag, d=detail, live=parts, live_etag=etag)


async def _act(
    request: Request,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    rotation_id: UUID,
    change: Awaitable[str],
) -> Response:
    """Run one change; back to the page with what it did, or the page with the store's message."""
    try:
        done = await change
    except StoreError as exc:
        status = 404 if isinstance(exc, NotFound) else 422
        return await detail_page(
            request, post.session, conn, now, rotation_id, error=str(exc), status_code=status
        )
    response = RedirectResponse(f"/rotations/{rotation_id}", status_code=303)
    flash(request, response, done)
    return response


async def _name(conn: Conn, user_id: UUID) -> str:
    names = await users.names(conn, [user_id])
    return names.get(user_id, "(deleted user)")


def _uuid(post: AdminPosted, name: str) -> UUID:
    value = post.form.get(name)
    try:
        return UUID(value if isinstance(value, str) else "")
    except ValueError:
        raise invalid(name, "choose someone from the list") from None


@router.post("/rotations/{rotation_id}/participants")
async def add_participant(
    request: Request,
    rotation_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    settings: AppSettings,
) -> Response:
    async def add() -> str:
        user_id = _uuid(post, "user_id")
        await participants.add(conn, rotation_id, user_id, limit=settings.max_participants)
        return f"Added {await _name(conn, user_id)}."

    return await _act(request, post, conn, now, rotation_id, add())


@router.post("/rotations/{rotation_id}/participants/{participant_id}/remove")
async def remove_participant(
    request: Request,
    rotation_id: UUID,
    participant_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    async def remove() -> str:
        current = await rotations.get(conn, rotation_id, now=now)
        user_id = current.participants[_position(current, participant_id)].user_id
        await participants.remove(conn, rotation_id, participant_id)
        return f"Removed {await _name(conn, user_id)} from this rotation."

    return await _act(request, post, conn, now, rotation_id, remove())


def _position(rotation: rotations.Rotation, participant_id: UUID) -> int:
    """Where a participant is now: buttons name the participant, not a position that may move."""
    for p in rotation.participants:
        if p.id == participant_id:
            return p.position
    raise NotFound("participant", participant_id)


@router.post("/rotations/{rotation_id}/participants/{participant_id}/active")
async def set_active(
    request: Request,
    rotation_id: UUID,
    participant_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    async def hand_over() -> str:
        current = await rotations.get(conn, rotation_id, now=now)
        index = _position(current, participant_id)
        await participants.set_active(conn, rotation_id, index)
        name = await _name(conn, current.participants[index].user_id)
        return f"{name} is on call now, covering the rest of this shift."

    return await _act(request, post, conn, now, rotation_id, hand_over())


@router.post("/rotations/{rotation_id}/participants/{participant_id}/move")
async def move_participant(
    request: Request,
    rotation_id: UUID,
    participant_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    settings: AppSettings,
) -> Response:
    """Swap with the neighbour above or below, as a PATCH of the whole list would.

    The store's list replacement keeps the person on call on call at their new position.
    """

    async def move() -> str:
        direction = "up" if post.form.get("direction") == "up" else "down"
        current = await rotations.get(conn, rotation_id, now=now)
        order = [p.user_id for p in current.participants]
        index = _position(current, participant_id)
        other = index + (-1 if direction == "up" else 1)
        name = await _name(conn, order[index])
        if not 0 <= other < len(order):
            return f"{name} is already {'first' if direction == 'up' else 'last'}."
        order[index], order[other] = order[other], order[index]
        patch = rotations.Patch(participants=order)
        await rotations.update(conn, rotation_id, patch, limit=settings.max_participants)
        return f"Moved {name} {direction}."

    return await _act(request, post, conn, now, rotation_id, move())
