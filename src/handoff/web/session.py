"""Who is looking: a server-side session (store.sessions) named by an HttpOnly cookie, the role
of the token or the person it was opened by, and the CSRF check on POSTs.

The UI signs in with the same API tokens as the API (store.tokens), or as a person with their
email and password (store.passwords), so a reader reads, a responder covers shifts themselves
and manages their own reminders and feed, and an admin writes, here exactly as in the API; the
cookie holds the session's own secret, never the token. Routes take `Viewer` (a live session),
or `Posted`/`AdminPosted`/`CoverPosted`/`SelfOrAdminPosted` for a POST (the form, after the
CSRF check, and the role the write needs).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from uuid import UUID

import psycopg
from fastapi import Depends, Request, Response
from psycopg_pool import PoolTimeout
from starlette.datastructures import FormData

from handoff.config import Settings
from handoff.http import deps
from handoff.http.deps import AppSettings, Conn, Now, act_for
from handoff.store import sessions
from handoff.web.csrf import FIELD, HEADER, check_csrf, csrf_token

SESSION_COOKIE = "handoff_session"
PRESESSION_COOKIE = "handoff_presession"
PRESESSION_BYTES = 32


class SignInRequired(Exception):
    """No session, or it ended (signed out, expired, its token revoked): sign in again."""


class Refused(Exception):
    """A 403: a reader token on a write, or a POST without this session's CSRF token."""


@dataclass(frozen=True, slots=True)
class Session:
    signer: sessions.Signer  # a token, or a person acting with their role
    secret: str

    @property
    def can_write(self) -> bool:
        return self.signer.role == "admin"

    @property
    def can_cover(self) -> bool:
        """Whether this session may cover shifts (an admin's anyone's, a responder's their
        own: the route checks whom)."""
        return self.signer.role in ("admin", "responder")

    def may_manage(self, user_id: UUID) -> bool:
        """Whether this session may change a person's own things (reminders, feed): an
        admin's, or that person's own as a responder."""
        return self.can_write or (
            self.signer.role == "responder" and self.signer.user_id == user_id
        )

    @property
    def csrf(self) -> str:
        return csrf_token(self.secret)


@dataclass(frozen=True, slots=True)
class Post:
    session: Session
    form: FormData


def expiry(settings: Settings) -> sessions.Expiry:
    return sessions.Expiry(
        idle=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_lifetime_hours),
    )


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """HttpOnly and SameSite=Lax always; Secure whenever the page was served over https."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def presession_secret(request: Request) -> tuple[str, bool]:
    """The sign-in form's CSRF secret, and whether it is new (then the caller sets the cookie)."""
    existing = request.cookies.get(PRESESSION_COOKIE)
    if existing:
        return existing, False
    return secrets.token_urlsafe(PRESESSION_BYTES), True


async def submitted_csrf(request: Request) -> tuple[FormData, str | None]:
    form = await request.form()
    field = form.get(FIELD)
    return form, request.headers.get(HEADER) or (field if isinstance(field, str) else None)


async def session(request: Request, conn: Conn, now: Now, settings: AppSettings) -> Session:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise SignInRequired
    signer = await sessions.authenticate(conn, secret, expiry(settings), now=now)
    if signer is None:
        raise SignInRequired
    found = Session(signer, secret)
    request.state.web_session = found  # for error pages rendered outside the route
    return found


async def signed_in(request: Request) -> Session | None:
    """The live session, for a page rendered outside any route (an address no route serves),
    so its navigation shows; None without one, or when the database cannot say."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        async with deps.pool(request).connection() as conn:
            return await session(request, conn, await deps.now(conn), deps.settings(request))
    except (SignInRequired, psycopg.Error, PoolTimeout):
        return None


async def posted(
    request: Request, viewer: Annotated[Session, Depends(session)], conn: Conn
) -> Post:
    """The form of a POST with this session's CSRF token; its writes are audited as the
    session's person or token (store.audit)."""
    form, submitted = await submitted_csrf(request)
    if not check_csrf(viewer.secret, submitted):
        raise Refused("the form was missing its security token; reload the page and try again")
    signer = viewer.signer
    act_for(
        request, conn, "web", name=signer.name, user_id=signer.user_id, token_id=signer.token_id
    )
    return Post(viewer, form)


async def admin_posted(post: Annotated[Post, Depends(posted)]) -> Post:
    if not post.session.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")
    return post


async def cover_posted(post: Annotated[Post, Depends(posted)]) -> Post:
    if not post.session.can_cover:
        raise Refused("covering shifts is for admins and responders")
    return post


async def self_or_admin_posted(user_id: UUID, post: Annotated[Post, Depends(posted)]) -> Post:
    """A POST about a person (`user_id` in the path) by an admin or that responder."""
    if not post.session.may_manage(user_id):
        raise Refused("this is for an admin, or the responder it is about")
    return post


Viewer = Annotated[Session, Depends(session)]
Posted = Annotated[Post, Depends(posted)]
AdminPosted = Annotated[Post, Depends(admin_posted)]
SelfOrAdminPosted = Annotated[Post, Depends(self_or_admin_posted)]
CoverPosted = Annotated[Post, Depends(cover_posted)]
