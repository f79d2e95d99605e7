"""`/`, sign-in with an API token, and sign-out.

Signing in opens a server-side session (store.sessions) whose secret goes in the cookie; the
token itself never does. Signing in also needs a CSRF token (login CSRF would sign a victim
into an attacker's session): before there is a session, it is derived from a random
pre-session cookie. Failed sign-ins are rate-limited per client address (web.limit).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import AppSettings, Conn, Now
from handoff.store import sessions, tokens
from handoff.web import limit
from handoff.web.csrf import check_csrf, csrf_token
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.routing import SIGN_IN, WebRoute
from handoff.web.session import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    Posted,
    Refused,
    expiry,
    presession_secret,
    set_cookie,
    submitted_csrf,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
HOME = "/rotations"
UNKNOWN_CLIENT = "unknown"


@router.get("/")
async def home(request: Request) -> Response:
    """The rotations list when there is a session (its page checks it), else sign-in."""
    target = HOME if request.cookies.get(SESSION_COOKIE) else SIGN_IN
    return RedirectResponse(target, status_code=303)


def _form(
    request: Request,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    secret, new = presession_secret(request)
    response = page(request, "signin.html", status_code, csrf=csrf_token(secret), error=error)
    response.headers.update(headers or {})
    if new:
        set_cookie(request, response, PRESESSION_COOKIE, secret)
    return response


@router.get("/signin")
async def sign_in_form(request: Request) -> Response:
    return _form(request)


@router.post("/signin")
async def sign_in(request: Request, conn: Conn, now: Now, settings: AppSettings) -> Response:
    form, submitted = await submitted_csrf(request)
    if not check_csrf(request.cookies.get(PRESESSION_COOKIE), submitted):
        raise Refused("the sign-in form had expired; reload the page and try again")
    client = request.client.host if request.client else UNKNOWN_CLIENT
    failures = await sessions.recent_failures(conn, client, since=now - limit.WINDOW)
    wait = limit.retry_after(failures, now)
    if wait is not None:
        message = f"Too many failed sign-ins from your address; try again in {wait} s."
        return _form(request, message, 429, {"Retry-After": str(wait)})
    secret = form.get("token")
    secret = secret.strip() if isinstance(secret, str) else ""
    token = await tokens.authenticate(conn, secret, now=now) if secret else None
    if token is None:
        await sessions.record_failure(conn, client, now=now, forget_before=now - limit.WINDOW)
        return _form(request, "That token is not valid (or has been revoked).", 401)
    session_secret = await sessions.start(conn, token.id, expiry(settings), now=now)
    response = RedirectResponse(HOME, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session_secret)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.post("/signout")
async def sign_out(request: Request, post: Posted, conn: Conn) -> Response:
    """End the session on the server, then forget the cookie."""
    await sessions.end(conn, post.session.secret)
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash(request, response, "You are signed out.")
    return response
