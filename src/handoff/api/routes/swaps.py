"""/api/v1/rotations/{id}/swaps and /api/v1/swaps: asking a colleague to take a shift.

Responders request, take and cancel their own swaps; admins anyone's (naming the person).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query

from handoff import swaps as rules
from handoff.api import schemas_swaps as schemas
from handoff.api.auth import COVER, READER, coverer
from handoff.api.deps import AppSettings, Conn
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.store import swaps, tokens
from handoff.store.errors import invalid
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1", tags=["swaps"])
Caller = Annotated[tokens.Token, Depends(coverer)]


def out(swap: swaps.Swap) -> schemas.Swap:
    return schemas.Swap.model_validate(swap, from_attributes=True)


def _person(caller: tokens.Token, named: UUID | None, field: str) -> UUID:
    """Whom the caller acts for: themselves, or (an admin) the person named in `field`."""
    if named is not None and not rules.may_act(caller.role, caller.user_id, named):
        raise HTTPException(403, f"a responder acts for themselves: {field} must be theirs")
    person = named if named is not None else caller.user_id
    if person is None:
        raise invalid(field, "is required for a token that belongs to no person")
    return person


@router.post(
    "/rotations/{rotation_id}/swaps",
    status_code=201,
    dependencies=COVER,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def request_swap(
    rotation_id: UUID, body: schemas.SwapIn, conn: Conn, caller: Caller
) -> schemas.Swap:
    """Ask for cover of [start, end): the requester must be the rotation's own on-call person
    for some of it (422 otherwise). Tells the channels subscribed to the rotation."""
    requester = _person(caller, body.requester_id, "requester_id")
    return out(await swaps.request(conn, rotation_id, requester, body.start, body.end, body.note))


@router.post(
    "/swaps/{swap_id}/take",
    dependencies=COVER,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def take_swap(
    swap_id: UUID, body: schemas.SwapTake, conn: Conn, settings: AppSettings, caller: Caller
) -> schemas.Swap:
    """Take an open swap: in one transaction an override (taker replaces requester) is made
    and the swap becomes taken. 409 if it is not open or the override would overlap another;
    422 if the taker is not another participant of the rotation."""
    taker = _person(caller, body.user_id, "user_id")
    return out(await swaps.take(conn, swap_id, taker, limit=settings.max_overrides))


@router.delete(
    "/swaps/{swap_id}",
    dependencies=COVER,
    responses=responses(401, 403, 404, 409, 422),
)
async def cancel_swap(swap_id: UUID, conn: Conn, caller: Caller) -> schemas.Swap:
    """Cancel a swap (its requester or an admin): an open one, or a taken one whose cover
    has not started (its override is removed); once started, 409."""
    swap = await swaps.get(conn, swap_id)
    if not rules.may_act(caller.role, caller.user_id, swap.requester_id):
        raise HTTPException(403, "only the requester or an admin can cancel a swap")
    return out(await swaps.cancel(conn, swap_id))


@router.get("/swaps", dependencies=READER, responses=responses(401, 404, 422))
async def list_swaps(
    conn: Conn,
    status: Annotated[
        str | None, Query(description="open, taken, cancelled or expired (as shown now).")
    ] = None,
    rotation_id: Annotated[UUID | None, Query(description="Swaps of this rotation.")] = None,
    user_id: Annotated[
        UUID | None, Query(description="Swaps this person requested or took.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> schemas.SwapPage:
    """Swaps by start."""
    found = await swaps.list_swaps(
        conn, status=status, rotation_id=rotation_id, user_id=user_id, limit=limit, cursor=cursor
    )
    return schemas.SwapPage(items=[out(s) for s in found.items], next_cursor=found.next_cursor)


@router.get("/swaps/{swap_id}", dependencies=READER, responses=responses(401, 404, 422))
async def get_swap(swap_id: UUID, conn: Conn) -> schemas.Swap:
    """One swap."""
    return out(await swaps.get(conn, swap_id))
