"""/api/v1/tokens: a person makes an API token for themselves (people.md).

The token acts as that person with their role as it is at each request, and stops working when
they lose the role (it is revoked) or are deleted. Service tokens, which belong to nobody, are
made on the command line (`handoff token create --role`), as before.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from handoff.api.auth import reader
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.query import reject_unknown_query
from handoff.api.schemas import Name, Request
from handoff.api.types import UtcTime
from handoff.store import tokens

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


class TokenIn(Request):
    name: Name


class TokenMade(BaseModel):
    id: UUID
    name: str
    user_id: UUID
    role: str | None
    created_at: UtcTime
    token: str  # the secret, shown only in this response


async def person(caller: Annotated[tokens.Token, Depends(reader)]) -> tokens.Token:
    """A person's token (before the body is read: a service token is refused whatever it
    sends)."""
    if caller.user_id is None:
        raise HTTPException(
            403, "a service token belongs to nobody: only a person's token makes tokens"
        )
    return caller


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(reject_unknown_query)],
    responses=responses(401, 403, 409, 413, 422),
)
async def create_token(
    body: TokenIn, caller: Annotated[tokens.Token, Depends(person)], conn: Conn, now: Now
) -> TokenMade:
    """A new token for the caller's person (the caller must be a person's token); its secret is
    in this response only."""
    made, secret = await tokens.create(conn, body.name, None, now=now, user_id=caller.user_id)
    assert made.user_id is not None
    return TokenMade(
        id=made.id,
        name=made.name,
        user_id=made.user_id,
        role=made.role,
        created_at=made.created_at,
        token=secret,
    )
