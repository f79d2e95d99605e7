"""/api/v1/rotations/{id}/changes: scheduled changes, applied by the engine at their instant."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from handoff.api import schemas_oncall as schemas
from handoff.api.auth import ADMIN, READER
from handoff.api.deps import AppSettings, Conn
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.store import changes
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1/rotations/{rotation_id}/changes", tags=["changes"])


@router.post(
    "", status_code=201, dependencies=ADMIN, responses=responses(401, 403, 404, 409, 413, 422)
)
async def create_change(
    rotation_id: UUID, body: schemas.ChangeIn, conn: Conn, settings: AppSettings
) -> schemas.Change:
    """Schedule a change: at `effective_at` the engine applies `changes` as a PATCH with those
    fields would at that instant. 409 when another change of the rotation has that instant."""
    created = await changes.create(
        conn,
        rotation_id,
        body.effective_at,
        body.changes.fields(),
        body.note,
        limit=settings.max_participants,
    )
    return schemas.change_out(created)


@router.get("", dependencies=READER, responses=responses(401, 404, 422))
async def list_changes(
    rotation_id: UUID,
    conn: Conn,
    pending: Annotated[
        bool | None, Query(description="true: only pending; false: only applied; default: all.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.ChangePage:
    """A rotation's scheduled changes by instant."""
    found = await changes.list_changes(
        conn, rotation_id, pending=pending, limit=limit, cursor=cursor
    )
    return schemas.ChangePage(
        items=[schemas.change_out(c) for c in found.items], next_cursor=found.next_cursor
    )


@router.get("/{change_id}", dependencies=READER, responses=responses(401, 404, 422))
async def get_change(rotation_id: UUID, change_id: UUID, conn: Conn) -> schemas.Change:
    """One scheduled change."""
    return schemas.change_out(await changes.get(conn, rotation_id, change_id))


@router.patch("/{change_id}", dependencies=ADMIN, responses=responses(401, 403, 404, 409, 413, 422))
async def update_change(
    rotation_id: UUID,
    change_id: UUID,
    body: schemas.ChangePatch,
    conn: Conn,
    settings: AppSettings,
) -> schemas.Change:
    """Edit a pending change (validated again); one that has taken effect cannot change (409)."""
    updated = await changes.update(
        conn,
        rotation_id,
        change_id,
        effective_at=body.effective_at,
        change=None if body.changes is None else body.changes.fields(),
        note=body.note,
        limit=settings.max_participants,
    )
    return schemas.change_out(updated)


@router.delete(
    "/{change_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 422),
)
async def delete_change(rotation_id: UUID, change_id: UUID, conn: Conn) -> None:
    """Delete a pending change; one that has taken effect cannot be deleted (409)."""
    await changes.delete(conn, rotation_id, change_id)
