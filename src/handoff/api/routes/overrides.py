"""/api/v1/rotations/{id}/overrides and /api/v1/overrides: who covers whom, when."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from handoff.api import schemas_oncall as schemas
from handoff.api.auth import ADMIN, COVER, READER, coverer
from handoff.api.deps import AppSettings, Conn
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.api.types import Instant
from handoff.store import overrides, tokens
from handoff.store.pagination import DEFAULT_LIMIT, Page

router = APIRouter(prefix="/api/v1", tags=["overrides"])
ONE = "/rotations/{rotation_id}/overrides/{override_id}"

Since = Annotated[
    Instant | None, Query(description="Overrides that end after this (default: now).")
]
Until = Annotated[Instant | None, Query(description="Overrides that start before this.")]


def out(override: overrides.Override) -> schemas.Override:
    return schemas.Override.model_validate(override, from_attributes=True)


def _page(found: Page[overrides.Override]) -> schemas.OverridePage:
    return schemas.OverridePage(items=[out(o) for o in found.items], next_cursor=found.next_cursor)


@router.post(
    "/rotations/{rotation_id}/overrides",
    status_code=201,
    dependencies=COVER,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def create_override(
    rotation_id: UUID,
    body: schemas.OverrideIn,
    conn: Conn,
    settings: AppSettings,
    caller: Annotated[tokens.Token, Depends(coverer)],
) -> schemas.Override:
    """Put someone else (or, with `user_id: null`, nobody) on call during [start, end).
    409 when it overlaps another override of the rotation, or past HANDOFF_MAX_OVERRIDES.
    A responder covers shifts themselves only (`user_id` theirs)."""
    if caller.role != "admin" and (caller.user_id is None or body.user_id != caller.user_id):
        raise HTTPException(403, "a responder covers shifts themselves: user_id must be theirs")
    draft = overrides.Draft(
        start=body.start,
        end=body.end,
        user_id=body.user_id,
        replaces_user_id=body.replaces_user_id,
        note=body.note,
    )
    return out(await overrides.create(conn, rotation_id, draft, limit=settings.max_overrides))


@router.get(
    "/rotations/{rotation_id}/overrides",
    dependencies=READER,
    responses=responses(401, 404, 422),
)
async def list_rotation_overrides(
    rotation_id: UUID,
    conn: Conn,
    since: Since = None,
    until: Until = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.OverridePage:
    """A rotation's overrides overlapping [since, until) by start; by default those that
    have not ended."""
    found = await overrides.list_overrides(
        conn, rotation_id=rotation_id, since=since, until=until, limit=limit, cursor=cursor
    )
    return _page(found)


@router.get("/overrides", dependencies=READER, responses=responses(401, 422))
async def list_overrides(
    conn: Conn,
    user_id: Annotated[
        UUID | None, Query(description="Overrides naming this user (covering or covered).")
    ] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.OverridePage:
    """Overrides across rotations overlapping [since, until) by start; by default those that
    have not ended."""
    found = await overrides.list_overrides(
        conn, user_id=user_id, since=since, until=until, limit=limit, cursor=cursor
    )
    return _page(found)


@router.get(ONE, dependencies=READER, responses=responses(401, 404, 422))
async def get_override(rotation_id: UUID, override_id: UUID, conn: Conn) -> schemas.Override:
    """One override."""
    return out(await overrides.get(conn, rotation_id, override_id))


@router.patch(ONE, dependencies=ADMIN, responses=responses(401, 403, 404, 409, 413, 422))
async def update_override(
    rotation_id: UUID, override_id: UUID, body: schemas.OverridePatch, conn: Conn
) -> schemas.Override:
    """Change an override: a future one anything, one in force only its `end` (not to the
    past) and `note`; an ended one is history (409)."""
    return out(await overrides.update(conn, rotation_id, override_id, body.edit()))


@router.delete(
    ONE,
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 422),
)
async def delete_override(rotation_id: UUID, override_id: UUID, conn: Conn) -> None:
    """Remove a future override, or end one in force now (at the request's instant);
    an ended one is history (409)."""
    await overrides.delete(conn, rotation_id, override_id)
