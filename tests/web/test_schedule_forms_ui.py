"""In Debian's Chromium at 1280 and 390 px: a schedule's name, description and time zone
edited, its layers reordered, removed, added and recombined from its page, a schedule override
added, edited and deleted from it, and the calendar showing the schedule as a row (the grid at
1280, the list of days at 390)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import Web
from .screens import shoot
from .test_browser import sign_in
from .test_calendar_schedules import make_schedule

pytestmark = pytest.mark.e2e
START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def _fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, "the page is wider than the screen"


@pytest.mark.parametrize("width", [1280, 390])
def test_layers_and_overrides_edited_from_the_schedule_page(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    primary = web.rotation("Primary", "daily", START, "UTC", [ann])
    secondary = web.rotation("Secondary", "weekly", START, "UTC", [bo])
    web.rotation("Spare", "weekly", START, "UTC", [cy])
    s = make_schedule(web, "Payments", "priority", [primary.id, secondary.id])
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, web.admin_token)
    page.goto(f"/schedules/{s.id}")
    lanes = page.locator(".lane .lane-name")
    expect(lanes).to_have_text(["Final", "Primary", "Secondary", "Overrides"])
    _fits(page)
    page.click("button[aria-label='Move Secondary up']")
    expect(lanes).to_have_text(["Final", "Secondary", "Primary", "Overrides"])
    expect(page.locator("[data-lane='Final'] .seg").first).to_have_attribute(
        "title", re.compile(r"^Bo: ")
    )
    expect(page.locator("table.history td", has_text="layers_changed")).to_be_visible()
    page.select_option("select[aria-label='Rotation to add as a layer']", label="Spare")
    page.click("button:has-text('Add layer')")
    expect(lanes).to_have_text(["Final", "Secondary", "Primary", "Spare", "Overrides"])
    page.click("button[aria-label='Remove the layer Secondary']")  # confirmed by the dialog
    expect(lanes).to_have_text(["Final", "Primary", "Spare", "Overrides"])
    page.select_option("select[aria-label='How the layers combine']", value="union")
    page.click("button:has-text('Save combine')")
    expect(page.locator("p.hint").first).to_contain_text("union")
    # A schedule override: Cy instead of whoever is on call, tomorrow for two hours.
    page.click("text=Add an override…")
    expect(page.locator("h1")).to_have_text("Cover a shift")
    tomorrow = (web.clock.now() + timedelta(days=1)).astimezone(ZoneInfo("UTC"))
    begin = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    page.fill("#start", begin.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#end", (begin + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#user_id", label="Cy")
    page.click("button:has-text('Save the override')")
    expect(page).to_have_url(re.compile(rf"/schedules/{s.id}$"))
    item = page.locator("#overrides li[data-override]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Cy added")
    _fits(page)
    item.locator("text=Edit").click()
    page.fill("#note", "release night")
    page.click("button:has-text('Save changes')")
    expect(item).to_contain_text("release night")
    if width == 1280:
        shoot(page, "schedule-forms")
    item.locator("button:has-text('Delete')").click()
    expect(page.locator("#overrides li[data-override]")).to_have_count(0)
    expect(page.locator("#overrides .empty")).to_be_visible()
    assert console == []


@pytest.mark.parametrize("width", [1280, 390])
def test_name_description_and_zone_edited_from_the_schedule_page(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    ann = web.user("Ann")
    primary = web.rotation("Primary", "daily", START, "UTC", [ann])
    s = make_schedule(web, "Payments", "priority", [primary.id])
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, web.admin_token)
    page.goto(f"/schedules/{s.id}")
    page.click(".heading a:has-text('Edit')")
    expect(page.locator("h1")).to_have_text("Edit Payments")
    _fits(page)
    page.fill("#time_zone", "Moon/Base")
    page.click("button:has-text('Save changes')")
    expect(page.locator("#error-time_zone")).to_contain_text("Moon/Base")
    expect(page.locator("#time_zone")).to_have_attribute("aria-invalid", "true")
    assert [m for m in console if "status of 422" not in m] == []  # the refusal's answer
    console.clear()
    page.fill("#name", "Payments EU")
    page.fill("#description", "Cards and transfers")
    page.fill("#time_zone", "Europe/Dublin")
    page.click("button:has-text('Save changes')")
    expect(page).to_have_url(re.compile(rf"/schedules/{s.id}$"))
    expect(page.locator("h1")).to_have_text("Payments EU")
    expect(page.locator("p.description")).to_have_text("Cards and transfers")
    expect(page.locator("p.hint").first).to_contain_text("Europe/Dublin")
    _fits(page)
    assert console == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_calendar_shows_the_schedule_as_a_row(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    primary = web.rotation("Primary", "daily", START, "UTC", [ann])
    secondary = web.rotation("Secondary", "weekly", START, "UTC", [bo])
    s = make_schedule(web, "Payments", "union", [primary.id, secondary.id])
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, web.admin_token)
    page.goto("/calendar?view=week&tz=UTC")
    if width == 1280:
        row = page.locator(f".cal-schedule[data-schedule='{s.id}']")
        expect(row.locator(".cal-label")).to_contain_text("Payments")
        expect(row.locator("a.cal-bar").last).to_have_attribute(
            "title", re.compile(r"^Ann, Bo · schedule Payments · ")
        )
        first_lane = page.locator(".cal-week").first.locator(".cal-lane").first
        expect(first_lane).to_have_attribute("data-schedule", str(s.id))
        shoot(page, "calendar-schedule")
        row.locator("a.cal-bar").last.click()
    else:
        expect(page.locator(".cal-grid")).to_be_hidden()
        items = page.locator(f".cal-list-schedule[data-schedule='{s.id}']")
        expect(items.first).to_be_visible()
        expect(items.last).to_contain_text("Payments")
        expect(items.last).to_contain_text("Ann, Bo")
        items.last.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/schedules/{s.id}$"))
    page.go_back()
    _fits(page)
    assert console == []
