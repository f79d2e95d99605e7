"""A rotation's or a schedule's subscriptions and a person's reminders (notify.md).

The rotation page loads its subscriptions as a fragment (htmx, on load) and links to them; the
schedule page and the person page include the card's template themselves (`subscription_card`
for a schedule; one list, with an admin's controls). Both
work without JavaScript too: a mistake answers with the full page here, the store's message
next to the field at fault, and a change goes back to the rotation, schedule or person page.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import Conn, Now
from handoff.store import notify, subscribed, users
from handoff.store.errors import Conflict, Invalid, NotFound
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.routes.person import before, reminders_of
from handoff.web.routing import WebRoute
from handoff.web.session import (
    AdminPosted,
    Post,
    Refused,
    SelfOrAdminPosted,
    Session,
    Viewer,
)

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


async def subscription_card(
    conn: Conn,
    owned: subscribed.Subscribed,
    owner: subscribed.Named,
) -> dict[str, Any]:
    """The Notifications card's context (notifications_subscriptions.html), for the owner's page
    and for the page that shows a mistake: its channels, and the ones it may still subscribe."""
    channels = await notify.list_channels(conn)
    names = {c.id: c for c in channels}
    found = await owned.listed(conn, owner.id)
    taken = {s.channel_id for s in found}
    return {
        "owner": owner,
        "base": f"/{owned.kind}s/{owner.id}",
        "section": (f"{owned.kind.capitalize()}s", f"/{owned.kind}s"),
        "subscriptions": [(s, names[s.channel_id]) for s in found],
        "channel_choices": [c for c in channels if c.id not in taken],
    }


async def _subscriptions(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    owned: subscribed.Subscribed,
    owner_id: UUID,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    owner = await owned.get(conn, owner_id, now)
    card = await subscription_card(conn, owned, owner)
    return _render(request, "subscriptions", errors or {}, status, session=viewer, **card)


@router.get("/rotations/{rotation_id}/subscriptions")
async def subscriptions_page(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    return await _subscriptions(request, viewer, conn, now, subscribed.ROTATION, rotation_id)


async def _subscribe(
    request: Request, post: Post, conn: Conn, now: Now, owned: subscribed.Subscribed, owner_id: UUID
) -> Response:
    """Subscribe a channel; a missing or already subscribed channel is said next to the list."""
    await owned.get(conn, owner_id, now)  # a missing rotation or schedule is the 404 page
    channel_id = _channel_id(post.form)
    if channel_id is None:
        errors = {"channel_id": CHOOSE}
        return await _subscriptions(request, post.session, conn, now, owned, owner_id, errors, 422)
    try:
        channel = await notify.get_channel(conn, channel_id)
        await owned.subscribe(conn, owner_id, channel_id)
    except (Conflict, NotFound) as exc:
        errors = {"channel_id": str(exc)}
        return await _subscriptions(request, post.session, conn, now, owned, owner_id, errors, 409)
    response = RedirectResponse(f"/{owned.kind}s/{owner_id}#subscriptions", status_code=303)
    flash(request, response, f"{channel.name} is told about every change of who is on call.")
    return response


async def _unsubscribe(
    request: Request,
    conn: Conn,
    owned: subscribed.Subscribed,
    owner_id: UUID,
    subscription_id: UUID,
) -> Response:
    await owned.unsubscribe(conn, owner_id, subscription_id)
    response = RedirectResponse(f"/{owned.kind}s/{owner_id}#subscriptions", status_code=303)
    flash(request, response, "Unsubscribed; messages already written are still sent.")
    return response


@router.post("/rotations/{rotation_id}/subscriptions")
async def subscribe(
    request: Request, rotation_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    return await _subscribe(request, post, conn, now, subscribed.ROTATION, rotation_id)


@router.post("/rotations/{rotation_id}/subscriptions/{subscription_id}/remove")
async def unsubscribe(
    request: Request, rotation_id: UUID, subscription_id: UUID, post: AdminPosted, conn: Conn
) -> Response:
    return await _unsubscribe(request, conn, subscribed.ROTATION, rotation_id, subscription_id)


@router.post("/schedules/{schedule_id}/subscriptions")
async def subscribe_schedule(
    request: Request, schedule_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """The schedule page's Notifications card: `schedule.oncall_changed` to a channel."""
    return await _subscribe(request, post, conn, now, subscribed.SCHEDULE, schedule_id)


@router.post("/schedules/{schedule_id}/subscriptions/{subscription_id}/remove")
async def unsubscribe_schedule(
    request: Request, schedule_id: UUID, subscription_id: UUID, post: AdminPosted, conn: Conn
) -> Response:
    return await _unsubscribe(request, conn, subscribed.SCHEDULE, schedule_id, subscription_id)


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
