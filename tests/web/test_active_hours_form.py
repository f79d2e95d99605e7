"""Active hours in the web form (hours.md): a preset or custom windows, every window's fault
next to the field, and the rotation page saying the hours in words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .client import Browser
from .conftest import Web
from .screens import shoot
from .test_browser import ROTATION_URL, sign_in

WHO = re.compile(r'class="who">([^<]*)<')


def _fields(browser: Browser, **extra: str) -> dict[str, Any]:
    return {
        "csrf_token": browser.csrf,
        "name": "business",
        "description": "",
        "type": "daily",
        "shift_length": "1",
        "start": "2026-01-05T09:00",
        "time_zone": "Europe/Berlin",
        "participant": [],
    } | extra


def test_a_business_hours_rotation_from_a_preset(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    browser.sign_in(web.admin_token)
    made = browser.client.post(
        "/rotations/new", data=_fields(browser, participant=[str(ann)], active="business")
    )
    assert made.status_code == 303, made.text
    page = browser.client.get(made.headers["location"]).text
    assert "on call weekdays 09:00-17:00 Europe/Berlin (turns count active time)" in page
    edit = browser.client.get(made.headers["location"] + "/edit").text
    assert '<option value="business" selected>' in edit


def test_custom_windows_and_their_faults(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    bad = browser.client.post(
        "/rotations/new",
        data=_fields(browser, active="custom", active_custom="mon-fri 09:00-25:00"),
    )
    assert bad.status_code == 422
    assert "active_hours[0].to: must be between 00:00..24:00" in bad.text
    unreadable = browser.client.post(
        "/rotations/new", data=_fields(browser, active="custom", active_custom="weekdays")
    )
    assert (
        unreadable.status_code == 422
        and "expected &#39;mon-fri 09:00-17:00&#39;" in unreadable.text
    )
    made = browser.client.post(
        "/rotations/new",
        data=_fields(
            browser,
            active="custom",
            active_custom="mon,wed 17:00-09:00\nsat-sun 00:00-24:00",
            turns="calendar",
        ),
    )
    assert made.status_code == 303, made.text
    page = browser.client.get(made.headers["location"]).text
    assert (
        "on call mon,wed 17:00-09:00; weekends 00:00-24:00 Europe/Berlin"
        " (turns pass on the calendar)" in page
    )


@pytest.mark.e2e
@pytest.mark.parametrize("width", [1280, 390])
def test_create_business_hours_from_a_preset_in_the_browser(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    web.user("Ann")
    web.user("Bo")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, web.admin_token)
    page.goto("/rotations/new")
    page.fill("#name", f"Business {width}")
    page.select_option("#type", "daily")
    page.fill("#time_zone", "Europe/Berlin")
    page.select_option("#active", "business")
    page.select_option("[aria-label='Participant 1']", label="Ann")
    page.click("[aria-label='Add another person']")
    page.select_option("[aria-label='Participant 2']", label="Bo")
    page.click("button:has-text('Create rotation')")
    expect(page).to_have_url(ROTATION_URL)
    expect(page.locator(".phrase")).to_contain_text("on call weekdays 09:00-17:00 Europe/Berlin")
    berlin = web.clock.now().astimezone(ZoneInfo("Europe/Berlin"))
    inside = berlin.weekday() < 5 and 9 <= berlin.hour < 17
    expect(page.locator("#on-call")).to_have_text("Ann" if inside else "nobody (off hours)")
    gaps = page.locator(".timeline .seg.gap")
    expect(gaps.first).to_be_visible()
    assert gaps.count() >= 2  # the nights between the days shown
    if width == 1280:
        shoot(page, "rotation-business-hours")
    assert console == []


def test_the_live_preview_counts_turns_over_active_days(browser: Browser, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    browser.sign_in(web.admin_token)
    fields = _fields(
        browser, with_participants="1", participant=[str(ann), str(bo)], active="business"
    )
    found = browser.client.post("/rotations/preview", data=fields)
    assert found.status_code == 200
    assert "on call weekdays 09:00-17:00 Europe/Berlin" in found.text
    # the turn passes each weekday morning at 09:00 Berlin, never on a Saturday or Sunday
    times = re.findall(r'<time datetime="([^"]+)"', found.text)
    days = [datetime.fromisoformat(t).astimezone(ZoneInfo("Europe/Berlin")) for t in times]
    assert len(days) == 6 and all(d.weekday() < 5 and d.hour == 9 for d in days)
    assert WHO.findall(found.text) == ["Bo", "Ann", "Bo", "Ann", "Bo", "Ann"]


def test_the_live_preview_draws_off_hours_as_gaps(browser: Browser, web: Web) -> None:
    """The preview's bar has a hatched gap for each night between business days, and none for
    an always-active rotation (hours.md: the live preview showing the gaps)."""
    ann = web.user("Ann")
    browser.sign_in(web.admin_token)
    fields = _fields(browser, with_participants="1", participant=[str(ann)])
    business = browser.client.post("/rotations/preview", data=fields | {"active": "business"})
    gaps = re.findall(r'class="seg seg-0 nobody gap"[^>]*title="off hours: ([^"]+)"', business.text)
    assert len(gaps) >= 5, business.text  # six weekday turns: the evenings between them
    # each evening's gap begins at 17:00; the first may begin at the preview's own start (now,
    # on the real clock), when now is outside the hours
    assert all("17:00" in g.split("–")[0] for g in gaps[1:]), gaps
    assert 'title="Ann: ' in business.text
    always = browser.client.post("/rotations/preview", data=fields)
    assert "preview-timeline" in always.text and " gap" not in always.text


@pytest.mark.e2e
@pytest.mark.parametrize("width", [1280, 390])
def test_gaps_in_the_live_preview_and_the_calendar_in_the_browser(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    web.user("Ann")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, web.admin_token)
    page.goto("/rotations/new")
    page.fill("#name", f"Nights {width}")
    page.select_option("#type", "daily")
    page.fill("#time_zone", "Europe/Berlin")
    page.select_option("[aria-label='Participant 1']", label="Ann")
    preview = page.locator("#preview .preview-timeline")
    expect(preview).to_be_visible()
    expect(preview.locator(".seg.gap")).to_have_count(0)
    page.select_option("#active", "business")
    gaps = preview.locator(".seg.gap")
    expect(gaps.first).to_be_visible()
    assert gaps.count() >= 5
    expect(page.locator("#preview-gaps")).to_contain_text("hatched: off hours")
    hatched = gaps.first.evaluate("e => getComputedStyle(e).backgroundImage")
    assert "repeating-linear-gradient" in hatched
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("button:has-text('Create rotation')")
    expect(page).to_have_url(ROTATION_URL)
    next_week = (web.clock.now() + timedelta(days=7)).date().isoformat()  # weekdays in it
    page.goto(f"/calendar?view=week&tz=Europe%2FBerlin&date={next_week}")
    if width == 1280:
        calendar_gaps = page.locator(".cal-lane .cal-gap")
        expect(calendar_gaps.first).to_be_visible()
        assert calendar_gaps.count() >= 2
        style = calendar_gaps.first.evaluate("e => getComputedStyle(e).backgroundImage")
        assert "repeating-linear-gradient" in style
        expect(calendar_gaps.first).to_have_attribute("title", re.compile(r"^Off hours: "))
        shoot(page, "calendar-off-hours")
    else:  # the phone's list of days: no grid, nothing wider than the phone
        expect(page.locator(".cal-grid")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert console == []
