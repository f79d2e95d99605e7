"""In Debian's Chromium: live updates that keep the reader's place, messages after actions,
the API docs with no network beyond this machine, the browser's own time zone, and no console
error on any page (the Content-Security-Policy would report a blocked script there)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from handoff.store import participants

from .conftest import DESKTOP, MAX_PARTICIPANTS, Web
from .screens import shoot
from .test_browser import sign_in

pytestmark = pytest.mark.e2e
START = datetime(2026, 1, 5, 8, tzinfo=UTC)
POLLS = 3  # the page polls every 3 s: wait through this many
POLL_WAIT_MS = 10_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def _active_label(page: Any) -> str | None:
    label: str | None = page.evaluate("document.activeElement.getAttribute('aria-label')")
    return label


def test_live_updates_keep_focus_and_scroll(page: Any, web: Web, console: list[str]) -> None:
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    rotation = web.rotation("Live focus", "weekly", START, "UTC", [ann, bo])
    polls: list[int] = []
    page.on("response", lambda r: polls.append(r.status) if r.url.endswith("/live") else None)
    page.set_viewport_size({"width": 1280, "height": 500})
    sign_in(page, web.admin_token)
    page.goto(f"/rotations/{rotation.id}")
    button = page.locator("[aria-label='Put Bo on call']")
    button.focus()
    page.evaluate("document.querySelector('#live section').dataset.marker = 'same node'")
    page.evaluate("window.scrollTo(0, 120)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    deadline = time.monotonic() + POLLS * 3 + 15  # generous: the machine may be busy
    while len(polls) < POLLS and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert polls[:POLLS] == [304] * POLLS  # unchanged: nothing was sent, nothing replaced
    assert _active_label(page) == "Put Bo on call"
    assert page.evaluate("document.querySelector('#live section').dataset.marker") == "same node"
    assert page.evaluate("window.scrollY") == scrolled

    async def add(conn: Any) -> None:
        await participants.add(conn, rotation.id, cy, limit=MAX_PARTICIPANTS)

    web.run(add)  # a change made elsewhere: the next poll brings it in
    expect(page.locator(".participants .name")).to_have_text(
        ["Ann", "Bo", "Cy"], timeout=POLL_WAIT_MS
    )
    assert 200 in polls
    assert page.evaluate("document.querySelector('#live section').dataset.marker") is None
    # The same control, in the new content, has the focus again.
    page.wait_for_function("document.activeElement.getAttribute('aria-label') === 'Put Bo on call'")
    page.keyboard.press("Enter")
    expect(page.locator("#on-call")).to_have_text("Bo")
    assert console == []


def test_actions_leave_a_message_for_screen_readers(
    page: Any, web: Web, console: list[str]
) -> None:
    web.user("Ann")
    web.user("Bo")
    rotation = web.rotation("Messages", "daily", START, "UTC")
    sign_in(page, web.admin_token)
    page.goto(f"/rotations/{rotation.id}")
    flash = page.locator("#flash")
    expect(flash).to_be_hidden()
    page.select_option("select[name=user_id]", label="Ann")
    page.click("button:has-text('Add')")
    expect(flash).to_have_text("Added Ann.")
    expect(flash).to_have_attribute("role", "status")
    expect(flash).to_have_attribute("aria-live", "polite")
    shoot(page, "flash")
    page.select_option("select[name=user_id]", label="Bo")
    page.click("button:has-text('Add')")
    expect(flash).to_have_text("Added Bo.")
    page.click("[aria-label='Put Bo on call']")
    expect(flash).to_have_text("Bo is on call now, covering the rest of this shift.")
    page.click("[aria-label='Remove Ann']")
    expect(flash).to_have_text("Removed Ann from this rotation.")
    page.reload()
    expect(flash).to_be_hidden()
    page.click("a:has-text('Edit')")
    page.click("button:has-text('Save changes')")
    expect(flash).to_have_text("Saved.")
    page.click("button:has-text('Sign out')")
    expect(flash).to_have_text("You are signed out.")
    assert console == []


def test_the_api_docs_render_with_no_network_beyond_this_machine(
    page: Any, web: Web, console: list[str]
) -> None:
    refused: list[str] = []

    def only_local(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or host.strip("[]") == "::1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    page.goto("/docs")  # no token needed
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("handoff")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/rotations").first
    ).to_be_visible()
    shoot(page, "docs")
    assert refused == []  # it did not even try
    assert console == []


def test_a_new_rotation_starts_in_the_browser_s_time_zone(chromium: Any, web: Web) -> None:
    context = chromium.new_context(base_url=web.url, viewport=DESKTOP, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        sign_in(page, web.admin_token)
        page.goto("/rotations/new")
        expect(page.locator("#time_zone")).to_have_value("Asia/Tokyo")
        expect(page.locator("#preview-phrase")).to_contain_text("Asia/Tokyo")
        # The suggested start is now on Tokyo's wall clock (the server's suggestion is UTC).
        start = page.locator("#start").input_value()
        tokyo = datetime.strptime(start, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
        drift = abs((tokyo - datetime.now(UTC)).total_seconds() - 9 * 3600)
        assert drift < 180, start
        # An edit form keeps the rotation's own zone.
        rotation = web.rotation("Berlin", "daily", START, "Europe/Berlin")
        page.goto(f"/rotations/{rotation.id}/edit")
        expect(page.locator("#time_zone")).to_have_value("Europe/Berlin")
    finally:
        context.close()


def test_an_unknown_page_is_a_page(page: Any, web: Web, console: list[str]) -> None:
    sign_in(page, web.admin_token)
    response = page.goto("/no/such/page")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator(".error")).to_have_text("There is no such page.")
    shoot(page, "error-404")
    # The one console line is Chromium reporting the 404 itself.
    assert [e for e in console if not re.search(r"status of 404", e)] == []


def test_no_console_error_on_the_calendar_and_person_pages(
    page: Any, web: Web, console: list[str]
) -> None:
    ann = web.user("Ann")
    web.rotation("Everywhere", "daily", START, "UTC", [ann])
    sign_in(page, web.reader_token)
    for url in ("/calendar", "/calendar?view=month", f"/people/{ann}", "/oncall", "/people"):
        response = page.goto(url)
        assert response.status == 200, url
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
    assert console == []
