"""Single sign-on (people.md): a person signs in through a real OpenID provider (oidc-provider
from the npm registry, on Node) in Chromium, with the authorization code flow and PKCE; they
are found by their verified email, created at first sign-in only when allowed, and refused
with a clear message otherwise."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.conftest import running
from handoff.config import Settings
from handoff.http.app import create_app
from handoff.store import accounts, users

from .conftest import DESKTOP, Web
from .oidc import provider

CLIENT_ID, CLIENT_SECRET = "handoff", "a client secret for the tests"


@dataclass
class Sso:
    url: str  # the app's
    issuer: str


def _sso(web: Web, create: str | None) -> Iterator[Sso]:
    # The app's socket is bound first (the provider must know its callback), the provider binds
    # its own and names its issuer, and only then is the app made with that issuer.
    with socket.create_server(("127.0.0.1", 0)) as listening:
        url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        with provider(f"{url}/signin/oidc/callback", CLIENT_ID, CLIENT_SECRET) as issuer:
            settings = Settings(
                database_url=web.db_url,
                oidc_issuer=issuer,
                oidc_client_id=CLIENT_ID,
                oidc_client_secret=CLIENT_SECRET,
                oidc_name="Example ID",
                oidc_create=create,
            )
            with running(create_app(settings, web.db_url), listening):
                yield Sso(url, issuer)


@pytest.fixture
def sso(web: Web) -> Iterator[Sso]:
    yield from _sso(web, None)


@pytest.fixture
def sso_creating(web: Web) -> Iterator[Sso]:
    yield from _sso(web, "reader")


def _sign_in_through_the_provider(chromium: Any, sso: Sso, login: str) -> Any:
    context = chromium.new_context(base_url=sso.url, viewport=DESKTOP)
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.startswith(sso.issuer) else None)
    page.goto("/signin")
    page.get_by_role("link", name="Sign in with Example ID").click()
    page.wait_for_url(f"{sso.issuer}/**")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_url(f"{sso.issuer}/**")
    consent = page.locator("button[type=submit]", has_text="Continue")
    if consent.count():
        consent.click()
    page.wait_for_url(f"{sso.url}/**")
    # the authorization code flow with PKCE (S256), a state and a nonce
    [authorize] = [u for u in asked if "/auth?" in u]
    for part in ("response_type=code", "code_challenge_method=S256", "state=", "nonce="):
        assert part in authorize, authorize
    return page


def _person(web: Web, name: str, email: str, role: str | None) -> None:
    async def make(conn: Any) -> None:
        person = await users.create(conn, name, email, now=web.clock.now())
        await accounts.set_role(conn, person.id, role)

    web.run(make)


def test_a_known_person_signs_in_through_the_provider(chromium: Any, web: Web, sso: Sso) -> None:
    _person(web, "Ann Lee", "Ann@Example.com", "responder")
    page = _sign_in_through_the_provider(chromium, sso, "ann@example.com")
    assert page.url == f"{sso.url}/"  # their own shifts first
    assert "Ann Lee" in page.content()  # signed in as herself

    async def sessions_logged(conn: Any) -> list[Any]:
        cur = await conn.execute(
            "SELECT a.action, a.route, a.actor_name, a.after ->> 'method' FROM audit_log a"
            " JOIN users u ON u.id = a.actor_user_id WHERE a.object_type = 'session'"
            " ORDER BY a.id"
        )
        return list(await cur.fetchall())

    # in the audit log as herself, saying how
    signed_in = ("session.sign_in", "GET /signin/oidc/callback", "Ann Lee", "oidc")
    assert web.run(sessions_logged) == [signed_in]
    # signing out ends her session here (and is logged); the provider's own is its business
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{sso.url}/signin")
    signed_out = ("session.sign_out", "POST /signout", "Ann Lee", None)
    assert web.run(sessions_logged) == [signed_in, signed_out]
    assert page.request.get(f"{sso.url}/", max_redirects=0).status == 303
    # the same provider cannot be replayed: the state is used up
    again = page.request.get(f"{sso.url}/signin/oidc/callback?code=x&state=y")
    assert again.status == 400
    page.context.close()


def test_an_unknown_or_unverified_email_is_refused_unless_creation_is_allowed(
    chromium: Any, web: Web, sso: Sso
) -> None:
    page = _sign_in_through_the_provider(chromium, sso, "cy@example.com")
    assert "Nobody here has the email cy@example.com" in page.content()
    page.context.close()
    _person(web, "Dee", "unverified-dee@example.com", "admin")
    page = _sign_in_through_the_provider(chromium, sso, "unverified-dee@example.com")
    assert "did not vouch for an email" in page.content()
    page.context.close()
    _person(web, "Eve", "eve@example.com", None)
    page = _sign_in_through_the_provider(chromium, sso, "eve@example.com")
    assert "Eve may not sign in here yet" in page.content()
    page.context.close()

    async def count(conn: Any) -> int:
        cur = await conn.execute("SELECT count(*) FROM users")
        return int((await cur.fetchone())[0])

    assert web.run(count) == 2  # nobody was made


def test_a_first_sign_in_creates_the_person_when_allowed(
    chromium: Any, web: Web, sso_creating: Sso
) -> None:
    page = _sign_in_through_the_provider(chromium, sso_creating, "fay@example.com")
    assert page.url == f"{sso_creating.url}/"
    page.context.close()

    async def made(conn: Any) -> list[Any]:
        cur = await conn.execute(
            "SELECT u.name, u.email, u.role, a.via, a.actor_name FROM users u"
            " JOIN audit_log a ON a.object_id = u.id::text AND a.action = 'user.create'"
        )
        return list(await cur.fetchall())

    assert web.run(made) == [
        ("fay", "fay@example.com", "reader", "web", "Example ID: fay@example.com")
    ]


def test_without_settings_there_is_no_single_sign_on(web: Web) -> None:
    assert "Sign in with" not in httpx.get(f"{web.url}/signin").text
    assert httpx.get(f"{web.url}/signin/oidc").status_code == 404
