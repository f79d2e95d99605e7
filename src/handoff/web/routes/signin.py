"""`/`, sign-in with an API token or as a person (email and password), and sign-out.

Signing in opens a server-side session (store.sessions) whose secret goes in the cookie; the
token or password itself never does. Signing in also needs a CSRF token (login CSRF would sign
a victim into an attacker's session): before there is a session, it is derived from a random
pre-session cookie. Failed sign-ins are rate-limited per browser (that cookie) and, more
loosely, per client address (web.limit), and password sign-ins also per account (the email),
so guessing one person's password from many addresses is slowed down all the same. Signing in
and out are in the audit log as the signer's (store.sessions), naming how and the route.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from handoff.http.deps import AppSettings, Conn, Now, writer
from handoff.store import audit, passwords, sessions, tokens
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
HOME = "/"  # a person's own shifts first (people.md); a service token's session: the rotations
UNKNOWN_CLIENT = "unknown"


def _form(
    request: Request,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    email: str | None = None,
) -> Response:
    """The sign-in page; `email` (even empty) says the error is the password form's."""
    secret, new = presession_secret(request)
    response = page(
        request,
        "signin.html",
        status_code,
        csrf=csrf_token(secret),
        error=error if email is None else None,
        password_error=error if email is not None else None,
        email=email or "",
    )
    response.headers.update(headers or {})
    if new:
        set_cookie(request, response, PRESESSION_COOKIE, secret)
    return response


@router.get("/signin")
async def sign_in_form(request: Request) -> Response:
    return _form(request)


# What a failed sign-in is counted against: (key, its limit, whose failures in words).
Counted = tuple[str, int, str]


async def _too_many(conn: Conn, now: Now, counted: Sequence[Counted]) -> tuple[str, int] | None:
    """The refusal (message, seconds to wait) when one of `counted` has failed too often."""
    for key, most, whose in counted:
        failures = await sessions.recent_failures(conn, key, since=now - limit.WINDOW)
        wait = limit.retry_after(failures, now, most)
        if wait is not None:
            return f"Too many failed sign-ins {whose}; try again in {wait} s.", wait
    return None


async def _failed(conn: Conn, now: Now, counted: Sequence[Counted]) -> None:
    for key, _, _ in counted:
        await sessions.record_failure(conn, key, now=now, forget_before=now - limit.WINDOW)


def _client(request: Request) -> Sequence[Counted]:
    """The browser (its pre-session cookie, checked by the CSRF check already; kept as a
    digest) and the client address."""
    browser = "browser:" + tokens.digest(request.cookies.get(PRESESSION_COOKIE) or "").hex()
    address = request.client.host if request.client else UNKNOWN_CLIENT
    return (
        (browser, limit.MAX_FAILURES, "from this browser"),
        (address, limit.ADDRESS_MAX_FAILURES, "from your address"),
    )


def _account(email: str) -> Counted:
    """An account's failures (apart from browsers and addresses)."""
    return "account:" + email.casefold(), limit.MAX_FAILURES, "for this account"


async def _checked_form(request: Request) -> FormData:
    form, submitted = await submitted_csrf(request)
    if not check_csrf(request.cookies.get(PRESESSION_COOKIE), submitted):
        raise Refused("the sign-in form had expired; reload the page and try again")
    return form


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/signin")
async def sign_in(request: Request, conn: Conn, now: Now, settings: AppSettings) -> Response:
    form = await _checked_form(request)
    client = _client(request)
    refused = await _too_many(conn, now, client)
    if refused is not None:
        return _form(request, refused[0], 429, {"Retry-After": str(refused[1])})
    secret = _field(form, "token").strip()
    token = await tokens.authenticate(conn, secret, now=now) if secret else None
    if token is None:
        await _failed(conn, now, client)
        return _form(request, "That token is not valid (or has been revoked).", 401)
    name, user_id = token.name, token.user_id
    return await open_session(
        request, conn, now, settings, "token", name=name, user_id=user_id, token_id=token.id
    )


@router.post("/signin/password")
async def sign_in_with_password(
    request: Request, conn: Conn, now: Now, settings: AppSettings
) -> Response:
    """A person signs in as themselves: their email and local password, while they have a
    role; they then act with that role."""
    form = await _checked_form(request)
    email = _field(form, "email").strip()
    counted = (*_client(request), _account(email))
    refused = await _too_many(conn, now, counted)
    if refused is not None:
        return _form(request, refused[0], 429, {"Retry-After": str(refused[1])}, email)
    user_id = await passwords.verify(conn, email, _field(form, "password"))
    if user_id is None:
        await _failed(conn, now, counted)
        message = "That email and password do not match anyone who may sign in."
        return _form(request, message, 401, email=email)
    return await open_session(request, conn, now, settings, "password", name=email, user_id=user_id)


async def open_session(
    request: Request,
    conn: Conn,
    now: Now,
    settings: AppSettings,
    method: sessions.Method,
    *,
    name: str,
    user_id: UUID | None,
    token_id: UUID | None = None,
) -> Response:
    """Sign in: a session for the token (a token's session stands for the token, whoever it
    acts as) or else the person, recorded in the audit log as theirs (`name` is the log's
    fallback: a person's own name is looked up), then home with the cookie."""
    audit.act_as(conn, writer(request, "web", name=name, user_id=user_id, token_id=token_id))
    session_secret = await sessions.start(
        conn,
        token_id,
        expiry(settings),
        now=now,
        method=method,
        user_id=None if token_id is not None else user_id,
    )
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
