"""Security headers on every kind of response, and what an address no route serves returns."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from handoff.config import Settings
from handoff.http.app import create_app
from handoff.http.headers import CONTENT_SECURITY_POLICY

from .client import Browser
from .conftest import Web, in_thread

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _secured(response: httpx.Response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
    policy = response.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY, response.url


def test_the_policy_allows_only_the_service_s_own_scripts() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_every_response_carries_the_headers(browser: Browser, web: Web) -> None:
    api = {"Authorization": f"Bearer {web.admin_token}"}
    responses = [
        browser.client.get("/api/v1/users", headers=api),  # API
        browser.client.get("/api/v1/users"),  # API error (401)
        browser.client.get("/api/v1/nothing-here", headers=api),  # API 404
        browser.client.get("/healthz"),
        browser.client.get("/metrics"),
        browser.client.get("/openapi.json"),
        browser.client.get("/signin"),  # page
        browser.client.get("/rotations"),  # redirect to sign in
        browser.client.get("/static/app.js"),  # static
        browser.client.get("/static/nothing.js"),  # static 404 (an HTML page)
        browser.client.get("/favicon.ico"),
        browser.client.get("/docs"),
        browser.client.get("/docs/assets/swagger-ui-bundle.js"),
        browser.client.get("/no/such/page", headers=HTML),  # HTML 404
        browser.client.post("/signin"),  # 403 page (no CSRF token)
        browser.client.post("/api/v1/users", content=b"x" * 2_000_000, headers=api),  # 413
    ]
    browser.sign_in(web.admin_token)
    responses.append(browser.client.get("/rotations"))
    statuses = sorted({r.status_code for r in responses})
    assert statuses == [200, 303, 401, 403, 404, 413]
    for response in responses:
        _secured(response)


def test_an_internal_error_carries_the_headers_too() -> None:
    """A route that fails unexpectedly: its 500 comes from Starlette's outermost middleware.
    Served in-process, without the lifespan, so no database is needed (in a thread of its own:
    the browser tests' Playwright keeps an event loop running in this one)."""
    router = APIRouter()

    @router.get("/broken")
    async def fail() -> None:
        raise RuntimeError("boom")

    app = create_app(Settings(), "postgresql://unused", routers=[router])

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/broken")

    response = in_thread(get)
    assert response.status_code == 500
    assert "boom" not in response.text
    _secured(response)


def test_an_unknown_page_is_the_html_error_page_for_a_browser(browser: Browser, web: Web) -> None:
    page = browser.client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no such page." in page.text
    assert '<nav aria-label="Main">' not in page.text
    browser.sign_in(web.reader_token)
    signed_in = browser.client.get("/no/such/page", headers=HTML)
    assert signed_in.status_code == 404
    assert '<nav aria-label="Main">' in signed_in.text  # the way back, for someone signed in
    wrong_method = browser.client.get("/signout", headers=HTML)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    # An API client, or any request under /api/, still gets problem+json.
    for response in (
        browser.client.get("/no/such/page", headers={"Accept": "application/json"}),
        browser.client.get("/api/v1/no-such-thing", headers=HTML),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_the_favicon_is_served(browser: Browser) -> None:
    icon = browser.client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_the_api_docs_are_served_from_this_machine_without_a_token(browser: Browser) -> None:
    docs = browser.client.get("/docs")
    assert docs.status_code == 200
    assert "<script>" not in docs.text  # no inline script (the policy would block it)
    sources = (
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-bundle.js",
        "/static/docs.js",
    )
    for source in sources:
        assert f'"{source}"' in docs.text
        assert browser.client.get(source).status_code == 200
    assert "http" not in docs.text.replace('lang="en"', "")  # no other origin named
    assert browser.client.get("/openapi.json").status_code == 200
    assert browser.client.get("/docs/assets/index.html").status_code == 404
