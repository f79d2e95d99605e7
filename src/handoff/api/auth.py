"""Bearer tokens: every API route needs one; writes and the engine pages need an admin's.

Calendar clients cannot send headers, so the calendar feeds also take `?token=`: a reader's
token or a person's feed token, never an admin's (a URL ends up in logs). A missing or
unknown token is a 401 with `WWW-Authenticate: Bearer`; a reader token where an admin's is
needed is a 403.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from handoff.api.query import reject_unknown_query
from handoff.http.deps import Conn, Now, act_for
from handoff.store import tokens

bearer = HTTPBearer(auto_error=False, scheme_name="bearer", description="An API token.")
query_token = APIKeyQuery(
    name="token",
    auto_error=False,
    scheme_name="calendarToken",
    description="A reader token (or a person's feed token) as a query parameter; only the"
    " calendar feeds accept it, and never an admin token.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def _check(request: Request, secret: str | None, conn: Conn, now: Now) -> tokens.Token:
    """The request's token; a writing request's changes are audited as its (store.audit)."""
    if not secret:
        raise HTTPException(401, "an API token is required", headers=_CHALLENGE)
    token = await tokens.authenticate(conn, secret, now=now)
    if token is None:
        raise HTTPException(401, "the API token is not valid", headers=_CHALLENGE)
    act_for(request, conn, "api", name=token.name, user_id=token.user_id, token_id=token.id)
    return token


async def reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    conn: Conn,
    now: Now,
) -> tokens.Token:
    """Any valid token (reading)."""
    return await _check(request, credentials.credentials if credentials else None, conn, now)


async def admin(token: Annotated[tokens.Token, Depends(reader)]) -> tokens.Token:
    """An admin token (writing, and the engine and queue pages)."""
    if token.role != "admin":
        raise HTTPException(403, "this needs an admin token; this token is a reader's")
    return token


async def coverer(token: Annotated[tokens.Token, Depends(reader)]) -> tokens.Token:
    """An admin, or a responder (people.md: responders cover shifts; the route checks that a
    responder covers them themselves)."""
    if token.role not in ("admin", "responder"):
        raise HTTPException(403, "this needs an admin or a responder; this token is a reader's")
    return token


async def self_or_admin(
    user_id: UUID, token: Annotated[tokens.Token, Depends(reader)]
) -> tokens.Token:
    """An admin, or a responder acting on their own person (their reminders and feed)."""
    if token.role == "admin" or (token.role == "responder" and token.user_id == user_id):
        return token
    raise HTTPException(403, "this needs an admin, or the responder it is about")


async def calendar_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    secret: Annotated[str | None, Depends(query_token)],
    conn: Conn,
    now: Now,
) -> tokens.Token:
    """Any valid token from the header; from `?token=`, a reader's only: a URL ends up in
    proxies' and servers' logs, and an admin token there would let anyone reading them write."""
    if credentials:
        return await _check(request, credentials.credentials, conn, now)
    token = await _check(request, secret, conn, now)
    if token.role == "admin":
        raise HTTPException(
            401,
            "an admin token is not accepted in the URL; use a reader token or a feed token",
            headers=_CHALLENGE,
        )
    return token


# Route dependencies: the token first (a 401 comes before anything else), then no stray
# query parameters.
READER = [Depends(reader), Depends(reject_unknown_query)]
ADMIN = [Depends(admin), Depends(reject_unknown_query)]
COVER = [Depends(coverer), Depends(reject_unknown_query)]
SELF_OR_ADMIN = [Depends(self_or_admin), Depends(reject_unknown_query)]
CALENDAR_READER = [Depends(calendar_reader), Depends(reject_unknown_query)]
