"""The Audit page (admins, as in the API): every write, who made it, what changed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from handoff.http.deps import Conn
from handoff.store import audit
from handoff.store.errors import Invalid
from handoff.store.pagination import DEFAULT_LIMIT
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import Refused, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def changed(entry: audit.Entry) -> list[tuple[str, Any, Any]]:
    """The fields a write changed: (field, before, after), in the row's order."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


@router.get("/audit")
async def audit_page(
    request: Request,
    viewer: Viewer,
    conn: Conn,
    object_type: str = "",
    object_id: str = "",
    actor_id: str = "",
    cursor: str | None = None,
) -> Response:
    if not viewer.can_write:
        raise Refused("the audit log is for admins, as in the API")
    problems = []
    try:
        actor = UUID(actor_id) if actor_id else None
    except ValueError:
        actor = None
        problems.append(f"{actor_id!r} is not a person's or token's id; showing everyone's")
    filters = audit.Filters(object_type or None, object_id or None, actor)
    try:
        found = await audit.entries(conn, filters, limit=DEFAULT_LIMIT, cursor=cursor)
    except Invalid as exc:
        problems.append(f"{exc}; showing the newest changes")
        found = await audit.entries(conn, filters, limit=DEFAULT_LIMIT)
    return page(
        request,
        "audit.html",
        session=viewer,
        entries=[(e, changed(e)) for e in found.items],
        next_cursor=found.next_cursor,
        filters={"object_type": object_type, "object_id": object_id, "actor_id": actor_id},
        message="; ".join(problems) or None,
    )
