"""`/`, sign-in with an API token, and sign-out.

Signing in also needs a CSRF token (login CSRF would sign a victim into an attacker's
session): before there is a session, it is derived from a random pre-session cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.api.deps import Conn, Now
from handoff.store import tokens
from handoff.web.csrf import check_csrf, csrf_token
from handoff.web.render import page
from handoff.web.routing import SIGN_IN, WebRoute
from handoff.web.session import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    Posted,
    Refused,
    presession_secret,
    set_cookie,
    submitted_csrf,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
HOME = "/rotations"


@router.get("/")
async def home(request: Request) -> Response:
    """The rotations list when there is a session (its page checks the token), else sign-in."""
    target = HOME if request.cookies.get(SESSION_COOKIE) else SIGN_IN
    return RedirectResponse(target, status_code=303)


def _form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    secret, new = presession_secret(request)
    response = page(request, "signin.html", status_code, csrf=csrf_token(secret), error=error)
    if new:
        set_cookie(request, response, PRESESSION_COOKIE, secret)
    return response


@router.get("/signin")
async def sign_in_form(request: Request) -> Response:
    return _form(request)


@router.post("/signin")
async def sign_in(request: Request, conn: Conn, now: Now) -> Response:
    form, submitted = await submitted_csrf(request)
    if not check_csrf(request.cookies.get(PRESESSION_COOKIE), submitted):
        raise Refused("the sign-in form had expired; reload the page and try again")
    secret = form.get("token")
    secret = secret.strip() if isinstance(secret, str) else ""
    token = await tokens.authenticate(conn, secret, now=now) if secret else None
    if token is None:
        return _form(request, "That token is not valid (or has been revoked).", 401)
    response = RedirectResponse(HOME, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, secret)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.post("/signout")
async def sign_out(post: Posted) -> Response:
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
