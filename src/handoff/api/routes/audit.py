"""The audit log (people.md), for admins: every write, who made it, before and after."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from handoff.api.auth import ADMIN
from handoff.api.deps import Conn
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.api.types import Instant, Text, UtcTime
from handoff.store import audit
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1", tags=["audit"])


class Actor(BaseModel):
    user_id: UUID | None = Field(description="The person who wrote, if a person did.")
    token_id: UUID | None = Field(description="The token they wrote with, if any.")
    name: str = Field(description="The person's or token's name; on the CLI, the OS user.")


class AuditEntry(BaseModel):
    id: int
    at: UtcTime
    actor: Actor
    via: str = Field(description='"api", "web", "cli" or "import".')
    route: str = Field(description="The API or UI route, or the command.")
    action: str = Field(description='What happened to the object, e.g. "override.create".')
    object_type: str
    object_id: str
    rotation_id: UUID | None = Field(description="The rotation the object belongs to.")
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, entry: audit.Entry) -> AuditEntry:
        actor = Actor(
            user_id=entry.actor_user_id, token_id=entry.actor_token_id, name=entry.actor_name
        )
        return cls(
            id=entry.id,
            at=entry.at,
            actor=actor,
            via=entry.via,
            route=entry.route,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            rotation_id=entry.rotation_id,
            before=entry.before,
            after=entry.after,
        )


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


@router.get("/audit", dependencies=ADMIN, responses=responses(401, 403, 422))
async def audit_log(
    conn: Conn,
    object_type: Annotated[Text | None, Query(max_length=100)] = None,
    object_id: Annotated[Text | None, Query(max_length=100)] = None,
    actor_id: Annotated[UUID | None, Query(description="A person's or a token's id.")] = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AuditPage:
    """Every write through the API, the UI, the CLI and the import, newest first."""
    filters = audit.Filters(object_type, object_id, actor_id, since, until)
    found = await audit.entries(conn, filters, limit=limit, cursor=cursor)
    return AuditPage(items=[AuditEntry.of(e) for e in found.items], next_cursor=found.next_cursor)
