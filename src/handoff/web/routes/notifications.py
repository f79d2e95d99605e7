"""The notifications page: channels, "send test", deliveries with their attempts (notify.md).

Every action goes through `store.notify` (and `notify.probe` for a test send) as the API does,
so the store's messages show next to the field at fault. Readers see channel targets redacted as
the API shows them; only admins post. Every action answers with a redirect (post/redirect/get), so
a refresh repeats nothing: a test send's outcome travels in the flash message, and a new
webhook's signing secret is shown once by the next view of the page (`flash.show_once`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import Conn
from handoff.notify import channels
from handoff.notify.probe import send_test
from handoff.notify.render import summary
from handoff.notify.targets import KINDS, redacted
from handoff.store import notify
from handoff.store.errors import Conflict, Invalid, NotFound
from handoff.web.field_errors import add_field_errors
from handoff.web.flash import flash, once, show_once, take_once
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
FIELDS = ("name", "kind", "target")
RECENT = 50


@dataclass
class ChannelForm:
    """The add-a-channel form as typed, and the store's message for each field."""

    name: str = ""
    kind: str = "webhook"
    target: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def add_errors(self, exc: Invalid) -> None:
        add_field_errors(self.errors, exc, FIELDS)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def shown(channel: notify.Channel, viewer: Session) -> notify.Channel:
    """The channel as `viewer` may see it: a reader gets the target redacted, as in the API."""
    if viewer.can_write:
        return channel
    target = redacted(channel.kind, channel.target)
    return notify.Channel(
        channel.id,
        channel.name,
        channel.kind,
        target,
        channel.created_at,
        channel.disabled_at,
        channel.last_error,
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    outcome: str
    status_code: int | None
    error: str | None


def about(message: notify.Message) -> str:
    """What the message said, as its receiver read it (rotation, from whom, to whom, when); a
    payload written around the outbox (plain SQL) by its event type alone."""
    try:
        return summary(message.payload)
    except (KeyError, TypeError):
        return message.event_type


def attempts(message: notify.Message) -> list[Attempt]:
    """A message's attempts with their times read (the store hands them over as JSON)."""
    return [
        Attempt(datetime.fromisoformat(a["at"]), a["outcome"], a["status_code"], a["error"])
        for a in message.attempt_list
    ]


async def _page(
    request: Request,
    viewer: Session,
    conn: Conn,
    form: ChannelForm | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    channels = await notify.list_channels(conn)
    recent = await notify.list_messages(conn, limit=RECENT)
    return page(
        request,
        "notifications.html",
        status_code,
        session=viewer,
        channels=[shown(c, viewer) for c in channels],
        names={c.id: c.name for c in channels},
        deliveries=[(m, attempts(m), about(m)) for m in recent.items],
        form=form or ChannelForm(),
        kinds=KINDS,
        max_name=notify.MAX_NAME,
        max_target=notify.MAX_TARGET,
        **extra,
    )


@router.get("/notifications")
async def notifications_page(request: Request, viewer: Viewer, conn: Conn) -> Response:
    """The page; right after a webhook was added, with its secret, this once."""
    channel_id, _, secret = (once(request) or "").partition(" ")
    created = None
    if secret:
        try:
            created = await notify.get_channel(conn, UUID(channel_id))
        except (ValueError, NotFound):
            created = None
    response = await _page(
        request, viewer, conn, created=created, secret=secret if created else None
    )
    take_once(request, response)
    return response


@router.post("/notifications/channels")
async def create_channel(request: Request, post: AdminPosted, conn: Conn) -> Response:
    """Create; a webhook's secret is shown on the page this answers with, this once."""
    form = ChannelForm(
        _text(post.form, "name"), _text(post.form, "kind"), _text(post.form, "target")
    )
    try:
        channel, secret = await channels.create_channel(conn, form.name, form.kind, form.target)
    except Invalid as exc:
        form.add_errors(exc)
        return await _page(request, post.session, conn, form, 422)
    except Conflict as exc:
        form.errors["name"] = str(exc)
        return await _page(request, post.session, conn, form, 409)
    response = RedirectResponse(f"/notifications#channel-{channel.id}", status_code=303)
    if secret is None:
        flash(request, response, f"Added {channel.name}.")
    else:  # the page says so with the secret
        show_once(request, response, "/notifications", f"{channel.id} {secret}")
    return response


@router.post("/notifications/channels/{channel_id}/test")
async def test_channel(
    request: Request, channel_id: UUID, post: AdminPosted, conn: Conn
) -> Response:
    """Send a test message now and say what the receiver answered, as the API's test does."""
    channel = await notify.get_channel(conn, channel_id)
    result = await send_test(conn, channel_id)
    delivered = result.status is not None and 200 <= result.status < 300
    said = "" if result.status is None else f": the receiver answered HTTP {result.status}"
    why = f" ({result.error})" if result.error else ""
    response = RedirectResponse(f"/notifications#channel-{channel.id}", status_code=303)
    outcome = "delivered" if delivered else "not delivered"
    flash(request, response, f"Test message to {channel.name}: {outcome}{said}{why}.")
    return response


@router.get("/notifications/channels/{channel_id}/delete")
async def confirm_delete(
    request: Request, channel_id: UUID, viewer: Viewer, conn: Conn
) -> Response:
    """The confirmation step: what deleting the channel takes with it."""
    if not viewer.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")
    channel = await notify.get_channel(conn, channel_id)
    return page(request, "notifications_delete.html", session=viewer, channel=channel)


@router.post("/notifications/channels/{channel_id}/delete")
async def delete_channel(
    request: Request, channel_id: UUID, post: AdminPosted, conn: Conn
) -> Response:
    channel = await notify.get_channel(conn, channel_id)
    await notify.delete_channel(conn, channel_id)
    response = RedirectResponse("/notifications", status_code=303)
    flash(request, response, f"Deleted {channel.name}.")
    return response


# After .../delete, which this path would match too.
@router.post("/notifications/channels/{channel_id}/{action}")
async def switch_channel(
    request: Request, channel_id: UUID, action: str, post: AdminPosted, conn: Conn
) -> Response:
    """Enable (which sends what is pending) or disable a channel."""
    if action not in ("enable", "disable"):
        raise NotFound("action", action)
    channel = await channels.update_channel(conn, channel_id, enabled=action == "enable")
    response = RedirectResponse(f"/notifications#channel-{channel.id}", status_code=303)
    flash(request, response, f"{channel.name} is {action}d.")
    return response


@router.post("/notifications/deliveries/{delivery_id}/retry")
async def retry_delivery(
    request: Request, delivery_id: UUID, post: AdminPosted, conn: Conn
) -> Response:
    """Send a message again now; a delivered one is explained on the page."""
    try:
        await notify.retry_message(conn, delivery_id)
    except Conflict as exc:
        return await _page(request, post.session, conn, status_code=409, message=str(exc))
    response = RedirectResponse(f"/notifications#delivery-{delivery_id}", status_code=303)
    flash(request, response, "The message will be sent again now.")
    return response
