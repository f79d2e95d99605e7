"""A rotation's subscriptions and a person's reminders, managed on their own pages (notify.md).

The rotation page loads its subscriptions as a fragment (htmx, on load) and links to them; the
person page includes the reminders' template itself (one list, with an admin's controls). Both
work without JavaScript too: a mistake answers with the full page here, the store's message
next to the field at fault, and a change goes back to the rotation or person page.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import Conn, Now
from handoff.store import notify, users
from handoff.store.errors import Conflict, Invalid, NotFound
from handoff.web import views
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.routes.person import before, reminders_of
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Refused, SelfOrAdminPosted, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
CHOOSE = "choose a channel"


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _channel_id(form: Any) -> UUID | None:
    try:
        return UUID(_text(form, "channel_id"))
    except ValueError:
        return None


def _render(
    request: Request, name: str, errors: dict[str, str], status: int, **ctx: Any
) -> Response:
    """The fragment for htmx, else the page around it (which also shows a mistake)."""
    fragment = request.headers.get("hx-request") == "true" and not errors
    template = f"notifications_{name}.html" if fragment else f"notifications_{name}_page.html"
    return page(request, template, status, errors=errors, **ctx)


async def _subscriptions(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    rotation_id: UUID,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    detail = await views.rotation_detail(conn, rotation_id, now)
    channels = await notify.list_channels(conn)
    names = {c.id: c for c in channels}
    found = await notify.list_subscriptions(conn, rotation_id)
    subscribed = {s.channel_id for s in found}
    return _render(
        request,
        "subscriptions",
        errors or {},
        status,
        session=viewer,
        r=detail.rotation,
        subscriptions=[(s, names[s.channel_id]) for s in found],
        choices=[c for c in channels if c.id not in subscribed],
    )


@router.get("/rotations/{rotation_id}/subscriptions")
async def subscriptions_page(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    return await _subscriptions(request, viewer, conn, now, rotation_id)


@router.post("/rotations/{rotation_id}/subscriptions")
async def subscribe(
    request: Request, rotation_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """Subscribe a channel; a missing or already subscribed channel is said next to the list."""
    await views.rotation_detail(conn, rotation_id, now)  # a missing rotation is the 404 page
    channel_id = _channel_id(post.form)
    if channel_id is None:
        errors = {"channel_id": CHOOSE}
        return await _subscriptions(request, post.session, conn, now, rotation_id, errors, 422)
    try:
        channel = await notify.get_channel(conn, channel_id)
        await notify.subscribe(conn, rotation_id, channel_id)
    except (Conflict, NotFound) as exc:
        errors = {"channel_id": str(exc)}
        return await _subscriptions(request, post.session, conn, now, rotation_id, errors, 409)
    response = RedirectResponse(f"/rotations/{rotation_id}#subscriptions", status_code=303)
    flash(request, response, f"{channel.name} is told about every change of who is on call.")
    return response


@router.post("/rotations/{rotation_id}/subscriptions/{subscription_id}/remove")
async def unsubscribe(
    request: Request, rotation_id: UUID, subscription_id: UUID, post: AdminPosted, conn: Conn
) -> Response:
    await notify.unsubscribe(conn, rotation_id, subscription_id)
    response = RedirectResponse(f"/rotations/{rotation_id}#subscriptions", status_code=303)
    flash(request, response, "Unsubscribed; messages already written are still sent.")
    return response


async def _reminders(
    request: Request,
    viewer: Session,
    conn: Conn,
    user_id: UUID,
    errors: dict[str, str] | None = None,
    status: int = 200,
    typed: str = "",
) -> Response:
    if not viewer.may_manage(user_id):
        raise Refused("reminders are managed by an admin, or the responder they are for")
    user = await users.get(conn, user_id)
    reminders, channels = await reminders_of(conn, user_id)
    return _render(
        request,
        "reminders",
        errors or {},
        status,
        session=viewer,
        u=user,
        reminders=reminders,
        channels=channels,
        typed=typed,
        max_minutes=notify.MAX_BEFORE_MINUTES,
    )


@router.get("/people/{user_id}/reminders")
async def reminders_page(request: Request, user_id: UUID, viewer: Viewer, conn: Conn) -> Response:
    """Admins (and a responder, their own) manage reminders here and on the person page, which
    lists them for everyone."""
    return await _reminders(request, viewer, conn, user_id)


@router.post("/people/{user_id}/reminders")
async def add_reminder(
    request: Request, user_id: UUID, post: SelfOrAdminPosted, conn: Conn
) -> Response:
    """Remind the person through a channel some minutes before each shift."""
    user = await users.get(conn, user_id)
    typed = _text(post.form, "before_minutes").strip()
    errors: dict[str, str] = {}
    channel_id = _channel_id(post.form)
    if channel_id is None:
        errors["channel_id"] = CHOOSE
    if not typed.isdigit():
        errors["before_minutes"] = f"must be a whole number from 0 to {notify.MAX_BEFORE_MINUTES}"
    if errors or channel_id is None:
        return await _reminders(request, post.session, conn, user_id, errors, 422, typed)
    try:
        await notify.add_reminder(conn, user_id, channel_id, int(typed))
    except Invalid as exc:
        errors = {e.field: e.message for e in exc.errors}
        return await _reminders(request, post.session, conn, user_id, errors, 422, typed)
    except (Conflict, NotFound) as exc:
        errors = {"channel_id": str(exc)}
        return await _reminders(request, post.session, conn, user_id, errors, 409, typed)
    response = RedirectResponse(f"/people/{user_id}#reminders-heading", status_code=303)
    flash(request, response, f"{user.name} is reminded {before(int(typed))} each shift.")
    return response


@router.post("/people/{user_id}/reminders/{reminder_id}/remove")
async def remove_reminder(
    request: Request, user_id: UUID, reminder_id: UUID, post: SelfOrAdminPosted, conn: Conn
) -> Response:
    await notify.remove_reminder(conn, user_id, reminder_id)
    response = RedirectResponse(f"/people/{user_id}#reminders-heading", status_code=303)
    flash(request, response, "Reminder removed.")
    return response
