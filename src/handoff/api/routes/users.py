"""/api/v1/users: the people who go on call."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from handoff.api import schemas
from handoff.api.auth import ADMIN, READER
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.store import accounts, users
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1/users", tags=["users"])


def _out(user: users.User) -> schemas.User:
    return schemas.User.model_validate(user, from_attributes=True)


@router.post(
    "",
    status_code=201,
    dependencies=ADMIN,
    responses=responses(401, 403, 409, 413, 422),
)
async def create_user(body: schemas.UserIn, conn: Conn, now: Now) -> schemas.User:
    """Create a user (an email another person has, ignoring case, is a 409 naming them)."""
    return _out(await users.create(conn, body.name, body.email, now=now, time_zone=body.time_zone))


@router.get("", dependencies=READER, responses=responses(401, 422))
async def list_users(
    conn: Conn, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> schemas.UserPage:
    """Users by name, a page at a time."""
    found = await users.list_users(conn, limit=limit, cursor=cursor)
    return schemas.UserPage(items=[_out(u) for u in found.items], next_cursor=found.next_cursor)


@router.get("/{user_id}", dependencies=READER, responses=responses(401, 404, 422))
async def get_user(user_id: UUID, conn: Conn) -> schemas.User:
    """One user."""
    return _out(await users.get(conn, user_id))


@router.patch("/{user_id}", dependencies=ADMIN, responses=responses(401, 403, 404, 409, 413, 422))
async def update_user(user_id: UUID, body: schemas.UserPatch, conn: Conn) -> schemas.User:
    """Change a user's name, email, time zone or role (`null` removes the email, the zone or
    the role); the last admin cannot lose the role (409)."""
    given = body.model_fields_set
    async with conn.transaction():
        user = await users.update(
            conn,
            user_id,
            name=body.name,
            email=body.email,
            clear_email="email" in given and body.email is None,
            time_zone=body.time_zone,
            clear_time_zone="time_zone" in given and body.time_zone is None,
        )
        if "role" in given:
            await accounts.set_role(conn, user_id, body.role)
            user = await users.get(conn, user_id)
    return _out(user)


@router.delete(
    "/{user_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 422),
)
async def delete_user(user_id: UUID, conn: Conn) -> None:
    """Delete a user: they leave every rotation; where they were on call, the next takes over.
    The last admin cannot be deleted (409)."""
    await users.delete(conn, user_id)
