"""Web sessions are server-side records: what the cookie holds, idle and absolute expiry (the
clock moved, not slept), sign-out and token revocation ending them, and the sign-in rate limit."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from handoff.config import Settings
from handoff.store import tokens
from handoff.web import limit

from .client import Browser, csrf
from .conftest import Web

DEFAULTS = Settings()
IDLE = timedelta(minutes=DEFAULTS.session_idle_minutes)
LIFETIME = timedelta(hours=DEFAULTS.session_lifetime_hours)
MINUTE = timedelta(minutes=1)


def _signed_in(response: Any) -> bool:
    """Whether a page request was served (200) rather than sent to sign in (303 /signin)."""
    if response.status_code == 303:
        assert response.headers["location"] == "/signin"
        return False
    assert response.status_code == 200
    return True


def _sessions(web: Web) -> list[tuple[bytes, str]]:
    async def read(conn: Any) -> list[tuple[bytes, str]]:
        cursor = await conn.execute(
            "SELECT s.secret_hash, t.name FROM web_sessions s"
            " JOIN api_tokens t ON t.id = s.token_id"
        )
        return [(bytes(h), n) for h, n in await cursor.fetchall()]

    result: list[tuple[bytes, str]] = web.run(read)
    return result


def test_the_cookie_holds_a_session_secret_stored_only_as_its_hash(
    browser: Browser, web: Web
) -> None:
    browser.sign_in(web.admin_token)
    cookie = browser.client.cookies["handoff_session"]
    assert cookie != web.admin_token and "hoff_" not in cookie
    assert _sessions(web) == [(hashlib.sha256(cookie.encode()).digest(), "web-admin")]
    # The token itself is no session: a cookie that holds it is sent to sign in.
    browser.client.cookies.set("handoff_session", web.admin_token)
    assert not _signed_in(browser.client.get("/rotations"))


def test_a_session_unused_for_the_idle_timeout_ends(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    web.clock.offset = IDLE - MINUTE
    assert _signed_in(browser.client.get("/rotations"))  # used: the idle time starts again
    web.clock.offset = 2 * (IDLE - MINUTE)
    assert _signed_in(browser.client.get("/rotations"))
    web.clock.offset = 2 * (IDLE - MINUTE) + IDLE + MINUTE
    assert not _signed_in(browser.client.get("/rotations"))


def test_a_busy_session_ends_at_its_absolute_lifetime(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    step = IDLE - MINUTE
    offset = timedelta(0)
    while offset + step < LIFETIME:
        offset += step
        web.clock.offset = offset
        assert _signed_in(browser.client.get("/rotations")), offset
    web.clock.offset = LIFETIME + MINUTE
    assert not _signed_in(browser.client.get("/rotations"))


def test_sign_out_ends_the_session_on_the_server(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    copied = browser.client.cookies["handoff_session"]
    response = browser.client.post("/signout", data={"csrf_token": browser.csrf})
    assert response.headers["location"] == "/signin"
    assert _sessions(web) == []
    # A copy of the cookie taken before signing out opens nothing.
    browser.client.cookies.set("handoff_session", copied)
    assert not _signed_in(browser.client.get("/rotations"))


def test_revoking_the_token_ends_its_sessions(web: Web) -> None:
    admin, reader = Browser(web), Browser(web)
    admin.sign_in(web.admin_token)
    reader.sign_in(web.reader_token)

    async def revoke(conn: Any) -> None:
        await tokens.revoke(conn, "web-admin", now=web.clock.now())

    web.run(revoke)
    assert not _signed_in(admin.client.get("/rotations"))
    assert _signed_in(reader.client.get("/rotations"))  # another token's session goes on
    assert admin.sign_in(web.admin_token).status_code == 401
    # The next sign-in deletes the sessions that have ended.
    assert reader.sign_in(web.reader_token).status_code == 303
    assert [name for _, name in _sessions(web)] == ["web-reader", "web-reader"]


def _attempt(browser: Browser, token: str) -> Any:
    form = browser.client.get("/signin")
    return browser.client.post("/signin", data={"csrf_token": csrf(form.text), "token": token})


def test_sign_in_is_rate_limited_per_browser(browser: Browser, web: Web) -> None:
    for _ in range(limit.MAX_FAILURES):
        assert _attempt(browser, "hoff_wrong").status_code == 401
    # Even the right token waits now: guessing cannot go on until it happens to hit.
    refused = _attempt(browser, web.admin_token)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= limit.WINDOW.total_seconds()
    assert "Too many failed sign-ins from this browser" in refused.text
    assert "handoff_session" not in refused.headers.get("set-cookie", "")
    assert _sessions(web) == []
    # Another browser at the same address (people behind one proxy) is not locked out.
    other = Browser(web)
    assert _attempt(other, web.reader_token).status_code == 303
    other.client.close()
    web.clock.offset = timedelta(seconds=wait)
    assert _attempt(browser, web.admin_token).status_code == 303


def test_a_guesser_dropping_the_cookie_meets_the_address_limit(web: Web) -> None:
    """A new browser for each guess escapes the browser limit, not the address's: after
    ADDRESS_MAX_FAILURES failures from an address within the window, every browser there
    waits."""

    async def failed_before(conn: Any) -> None:
        await conn.execute(
            "INSERT INTO web_sign_in_failures (client, failed_at)"
            " SELECT '127.0.0.1', %s FROM generate_series(1, %s)",
            (web.clock.now(), limit.ADDRESS_MAX_FAILURES - 1),
        )

    web.run(failed_before)
    guesser = Browser(web)
    assert _attempt(guesser, "hoff_wrong").status_code == 401
    guesser.client.close()
    fresh = Browser(web)
    refused = _attempt(fresh, web.admin_token)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your address" in refused.text
    fresh.client.close()


def test_successful_sign_ins_are_not_limited(browser: Browser, web: Web) -> None:
    for _ in range(limit.MAX_FAILURES + 2):
        assert _attempt(browser, web.reader_token).status_code == 303
