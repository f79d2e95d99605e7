"""Shift swaps from the rotation and person pages: ask for cover, take, cancel.

Each is a plain POST (it works without JavaScript) calling one store function, which applies
the swap rules under the rotation's lock; then back to the page it came from with a message.
A refusal re-renders the rotation's page with the store's message next to its swaps (422, or
409 when the swap is no longer open or its cover would overlap another override).
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff import swaps as rules
from handoff.http.deps import AppSettings, Conn, Now
from handoff.store import rotations, swaps
from handoff.store.errors import Conflict, NotFound, StoreError, invalid
from handoff.web.flash import flash
from handoff.web.oncall_form import read_wall
from handoff.web.routes.rotations import detail_page
from handoff.web.routing import WebRoute
from handoff.web.session import CoverPosted, Post, Refused

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _field(post: Post, name: str) -> str:
    value = post.form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _person(post: Post, named: str) -> UUID | None:
    """Whom the viewer acts for: themselves, or (an admin) the person chosen in the form."""
    signer = post.session.signer
    if not named:
        return signer.user_id
    try:
        person = UUID(named)
    except ValueError:
        return None
    if not rules.may_act(signer.role, signer.user_id, person):
        raise Refused("a responder asks for and takes cover for themselves")
    return person


def _back(request: Request, post: Post, fallback: str, message: str) -> Response:
    """To the page the form was on (a rotation's or a person's page, or home)."""
    to = _field(post, "back")
    safe = to == "/" or to.startswith(("/rotations/", "/people/"))
    response = RedirectResponse(to if safe else fallback, status_code=303)
    flash(request, response, message)
    return response


async def _refused(
    request: Request, post: Post, conn: Conn, now: Now, rotation_id: UUID, exc: StoreError
) -> Response:
    status = 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 422
    return await detail_page(
        request, post.session, conn, now, rotation_id, swap_error=str(exc), status_code=status
    )


@router.post("/rotations/{rotation_id}/swaps")
async def request_swap(
    request: Request, rotation_id: UUID, post: CoverPosted, conn: Conn, now: Now
) -> Response:
    rotation = await rotations.get(conn, rotation_id, now=now)
    requester = _person(post, _field(post, "requester_id"))
    start = read_wall(_field(post, "start"), rotation.time_zone)
    end = read_wall(_field(post, "end"), rotation.time_zone)
    try:
        if requester is None:
            raise invalid("requester_id", "choose who asks for cover")
        if start is None or end is None:
            raise invalid("start" if start is None else "end", "give a date and time")
        await swaps.request(conn, rotation_id, requester, start, end, _field(post, "note"))
    except StoreError as exc:
        return await _refused(request, post, conn, now, rotation_id, exc)
    return _back(request, post, f"/rotations/{rotation_id}", "Asked for cover.")


@router.post("/swaps/{swap_id}/take")
async def take_swap(
    request: Request, swap_id: UUID, post: CoverPosted, conn: Conn, now: Now, settings: AppSettings
) -> Response:
    swap = await swaps.get(conn, swap_id)
    taker = _person(post, _field(post, "user_id"))
    try:
        if taker is None:
            raise invalid("user_id", "choose who takes the shift")
        await swaps.take(conn, swap_id, taker, limit=settings.max_overrides)
    except StoreError as exc:
        return await _refused(request, post, conn, now, swap.rotation_id, exc)
    return _back(request, post, f"/rotations/{swap.rotation_id}", "Took the shift.")


@router.post("/swaps/{swap_id}/cancel")
async def cancel_swap(
    request: Request, swap_id: UUID, post: CoverPosted, conn: Conn, now: Now
) -> Response:
    swap = await swaps.get(conn, swap_id)
    signer = post.session.signer
    if not rules.may_act(signer.role, signer.user_id, swap.requester_id):
        raise Refused("only the requester or an admin can cancel a swap")
    try:
        await swaps.cancel(conn, swap_id)
    except StoreError as exc:
        return await _refused(request, post, conn, now, swap.rotation_id, exc)
    return _back(request, post, f"/rotations/{swap.rotation_id}", "Cancelled the swap.")
