"""Single sign-on with OpenID Connect (people.md): the authorization code flow with PKCE,
through authlib (the provider's discovery document and keys, state, nonce and the ID token's
checks are the library's).

`/signin/oidc` sends the browser to the provider, keeping the state, nonce and code verifier
in the database (store.oidc_states) and the state alone in an HttpOnly cookie: the callback
finishes only the sign-in that this browser began. The person is found by their verified
email (ignoring case); with HANDOFF_OIDC_CREATE an unknown one becomes a person with that
role, otherwise the sign-in is refused and says why. A person without a role cannot sign in.
"""

from __future__ import annotations

import time
import warnings
from datetime import datetime
from typing import Any
from uuid import UUID

from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from handoff.config import Settings
from handoff.http.deps import AppSettings, Conn, Now, pool
from handoff.store import accounts, audit, users
from handoff.store.errors import NotFound
from handoff.store.oidc_states import StateCache
from handoff.web.render import page
from handoff.web.routes.signin import open_session
from handoff.web.routing import WebRoute
from handoff.web.session import set_cookie

with warnings.catch_warnings():
    # authlib warns at import that it falls back to httpx when httpx2 is not installed; it works
    # with httpx (tests/web/test_oidc.py signs in through a real provider), and a warning on
    # every start of the service would tell its operator nothing they could act on.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError

router = APIRouter(route_class=WebRoute, include_in_schema=False)
CLIENT = "idp"
STATE_COOKIE = "handoff_oidc_state"
STATE_KEY = f"_state_{CLIENT}_"
SCOPE = "openid email profile"
CALLBACK = "/signin/oidc/callback"


def _client(request: Request, settings: Settings) -> Any:
    """The app's OpenID Connect client (made once: it caches the discovery document)."""
    if not settings.oidc_enabled:
        raise HTTPException(404, "single sign-on is not set up here")
    found = getattr(request.app.state, "oidc", None)
    if found is None:
        oauth = OAuth(cache=StateCache(pool(request)))
        oauth.register(
            CLIENT,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/")  # type: ignore[union-attr]
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},
        )
        found = request.app.state.oidc = oauth.create_client(CLIENT)
    return found


@router.get("/signin/oidc")
async def start(request: Request, settings: AppSettings) -> Response:
    client = _client(request, settings)
    request.scope["session"] = {}
    redirect = await client.authorize_redirect(request, str(request.url_for("oidc_callback")))
    [key] = request.scope["session"]
    response: Response = RedirectResponse(redirect.headers["location"], status_code=303)
    set_cookie(request, response, STATE_COOKIE, key.removeprefix(STATE_KEY))
    return response


def _refused(request: Request, message: str, status_code: int) -> Response:
    response = page(request, "signin_refused.html", status_code, message=message)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


@router.get(CALLBACK, name="oidc_callback")
async def callback(request: Request, conn: Conn, now: Now, settings: AppSettings) -> Response:
    client = _client(request, settings)
    state = request.cookies.get(STATE_COOKIE)
    request.scope["session"] = {STATE_KEY + state: {"exp": time.time() + 60}} if state else {}
    try:
        token = await client.authorize_access_token(request)
    except (OAuthError, KeyError, TypeError, ValueError) as exc:
        detail = getattr(exc, "description", None) or str(exc)
        return _refused(request, f"The sign-in could not be completed: {detail}", 400)
    claims = token.get("userinfo") or {}
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        return _refused(request, f"{settings.oidc_name} did not vouch for an email address.", 403)
    user_id = await _person(conn, email, claims, settings, now)
    if user_id is None:
        message = f"Nobody here has the email {email}; ask an admin to add you."
        return _refused(request, message, 403)
    person = await users.get(conn, user_id)
    if person.role is None:
        message = f"{person.name} may not sign in here yet; ask an admin for a role."
        return _refused(request, message, 403)
    response = await open_session(
        request, conn, now, settings, "oidc", name=person.name, user_id=user_id
    )
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


async def _person(
    conn: Conn, email: str, claims: dict[str, Any], settings: Settings, now: datetime
) -> UUID | None:
    """The person with this email (ignoring case); made with HANDOFF_OIDC_CREATE's role when
    there is none and that is allowed (audited as the provider's, naming the email)."""
    try:
        return await accounts.owner_of(conn, email)
    except NotFound:
        if settings.oidc_create is None:
            return None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    audit.act_as(conn, audit.Writer("web", f"GET {CALLBACK}", f"{settings.oidc_name}: {email}"))
    async with conn.transaction():
        created = await users.create(conn, name or email.partition("@")[0], email, now=now)
        await accounts.set_role(conn, created.id, settings.oidc_create)
    return created.id
