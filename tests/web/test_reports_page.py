"""The Reports page (reports.md "Where it shows"): range and filters, a server-drawn SVG chart of
hours per person split night / weekend / other, the table, a CSV download; and the person
page's last and next 30 days. In Chromium at 1280 and 390 px, and over plain HTTP for the
parameters a page cannot use."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import expect

from handoff import report_table
from handoff.store import reports

from .client import Browser
from .conftest import Web
from .screens import SIZES, shoot


def _team(web: Web) -> tuple[UUID, UUID, UUID]:
    """Ann and Bo in a rotation handing off every 6 hours, begun 9 days ago and brought up to
    date by the engine: every 6 hours in the last days is recorded history."""
    ann, bo = web.user("Ann"), web.user('Bo, "B"')
    now = web.clock.now()
    start = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=9)
    rotation = web.rotation("primary", "hourly", start, "UTC", [ann, bo], shift_length=6)
    web.process(rotation.id)
    return ann, bo, rotation.id


def _sign_in(page: Any, token: str) -> None:
    page.goto("/signin")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/rotations$"))


def test_the_reports_page_in_the_browser(page: Any, web: Web) -> None:
    ann, bo, rotation_id = _team(web)
    _sign_in(page, web.reader_token)
    page.click("nav >> text=Reports")
    expect(page).to_have_url(re.compile(r"/reports$"))
    today = web.clock.now().date()
    coming = {"since": (today + timedelta(days=1)).isoformat()}
    coming["until"] = (today + timedelta(days=3)).isoformat()
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(f"/reports?since={coming['since']}&until={coming['until']}")
        chart = page.locator("svg.report-chart")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] <= size["width"], label
        # One bar per person, each split in its parts (both had nights and days).
        assert page.locator("svg.report-chart g.bar").count() == 2
        for kind in ("night", "other"):
            assert page.locator(f"svg.report-chart g.bar rect.part-{kind}").count() == 2, kind
        # Nothing wider than the screen: the page does not scroll sideways.
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= size["width"], (label, wide)
        expect(page.locator("table.report-table tbody tr")).to_have_count(2)
    shoot(page, "reports")
    # The CSV link downloads the table's rows for the range shown.
    href = page.locator("#report-csv").get_attribute("href")
    assert href is not None
    body = page.request.get(href).body()
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert tuple(lines[0]) == report_table.COLUMNS
    assert {line[1] for line in lines[1:]} == {"Ann", 'Bo, "B"'}
    # Filters: one person over the same days.
    page.select_option("#report-person", str(ann))
    page.click("form.report-filters button")
    expect(page.locator("table.report-table tbody tr")).to_have_count(1)
    assert page.locator("svg.report-chart g.bar").count() == 1
    assert page.locator("svg.report-chart g.bar").get_attribute("data-user") == str(ann)
    # The person page's last and next 30 days.
    page.goto(f"/people/{bo}")
    for period in ("last", "next"):
        expect(page.locator(f"table.person-summary tr[data-period={period}]")).to_have_count(1)
    assert rotation_id


def test_the_numbers_are_the_stores_and_bad_parameters_show_a_message(
    browser: Browser, web: Web
) -> None:
    ann, _, _ = _team(web)
    browser.sign_in(web.reader_token)
    now = web.clock.now()
    today = now.date()
    since = (today - timedelta(days=4)).isoformat()
    shown = browser.client.get("/reports", params={"since": since, "until": today.isoformat()})
    assert shown.status_code == 200

    async def read(conn: Any) -> Any:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        end = datetime.combine(today, datetime.min.time(), UTC) + timedelta(days=1)
        return await reports.oncall(conn, start, end, now=web.clock.now())

    report = web.run(read)
    hours = {r.name: report_table.hours(r.seconds) for r in report.rows}
    assert hours["Ann"] > 0
    assert f'<td data-label="Hours">{hours["Ann"]}</td>' in shown.text
    for params, message in [
        ({"since": "2026-02-30", "until": "2026-03-01"}, "is not a date"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "ends before it starts"),
        ({"since": "2020-01-01", "until": "2026-01-01"}, "at most 400 days"),
        ({"rotation": "x" * 500}, "there is no rotation"),
        ({"person": str(UUID(int=3))}, "no rows in this range"),
    ]:
        response = browser.client.get("/reports", params=params)
        assert response.status_code == 200, params
        assert message in response.text.lower(), params
        assert browser.client.get("/reports.csv", params=params).status_code == 200
    assert ann in {r.user_id for r in report.rows}


@pytest.mark.parametrize("path", ["/reports", "/reports.csv"])
def test_signed_out_visitors_are_sent_to_sign_in(web: Web, path: str) -> None:
    client = Browser(web)
    try:
        response = client.client.get(path)
        assert response.status_code in (303, 401)
    finally:
        client.client.close()
