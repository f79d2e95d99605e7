"""In Debian's Chromium at 1280 and 390 px: a primary/secondary schedule built from the
Schedules page's form (rotations picked and ordered), and its page with the final lane on top,
a lane per layer, the overrides lane, the next 4 weeks' gaps and the history."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Web
from .screens import shoot
from .test_browser import sign_in

pytestmark = pytest.mark.e2e
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize("width", [1280, 390])
def test_build_primary_secondary_and_read_its_lanes(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    web.rotation("Primary", "daily", START, "UTC", [ann])
    web.rotation("Secondary", "weekly", START, "UTC", [bo])
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, web.admin_token)
    page.click("nav >> text=Schedules")
    expect(page).to_have_url(re.compile(r"/schedules$"))
    page.fill("input[name=name]", "Payments")
    page.select_option("select[aria-label='Layer 1']", label="Secondary")
    page.select_option("select[aria-label='Layer 2']", label="Primary")
    page.click("button:has-text('Create schedule')")
    expect(page).to_have_url(re.compile(r"/schedules/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_have_text("Payments")
    lanes = page.locator(".lane .lane-name")
    expect(lanes).to_have_text(["Final", "Secondary", "Primary", "Overrides"])
    final = page.locator("[data-lane='Final'] .seg")
    expect(final.first).to_have_attribute("title", re.compile(r"^Bo: "))
    expect(page.locator("text=No gaps: someone is on call all the time.")).to_be_visible()
    expect(page.locator("table.history td", has_text="started")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, "the page is wider than the screen"
    page.goto("/schedules")
    expect(page.locator("tr[data-schedule] td.name")).to_have_text(["Payments"])
    if width == 1280:
        page.goto(page.url)  # the list, then the schedule for the screenshots
        page.click("text=Payments")
        shoot(page, "schedule-primary-secondary")
    assert console == []
