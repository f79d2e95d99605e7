"""A person's page: upcoming shifts in every rotation, their rotations, and the feed link that a
calendar client can read without any header or cookie."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from playwright.sync_api import expect

from handoff.store import overrides
from handoff.web.routes.person import before

from .conftest import DESKTOP, Web
from .screens import shoot

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _sign_in(page: Any, token: str) -> None:
    page.goto("/signin")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/rotations$"))


@pytest.fixture
def watched(chromium: Any, web: Web) -> Iterator[tuple[Any, list[str]]]:
    """A page in Europe/Berlin and the console errors it logs."""
    context = chromium.new_context(base_url=web.url, viewport=DESKTOP, timezone_id="Europe/Berlin")
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened, errors
    finally:
        context.close()


@pytest.fixture
def team(web: Web) -> dict[str, Any]:
    web.clock.offset = NOW - datetime.now(UTC)
    ann, bo = web.user("Ann"), web.user("Bo")
    payments = web.rotation(
        "payments", "weekly", datetime(2026, 11, 30, 9, tzinfo=BERLIN), "Europe/Berlin", [ann, bo]
    )
    database = web.rotation(
        "database", "daily", datetime(2026, 11, 1, 9, tzinfo=BERLIN), "Europe/Berlin", [bo, ann]
    )
    return {"ann": ann, "bo": bo, "payments": payments, "database": database}


def test_shifts_rotations_and_a_feed_link_that_works_without_a_header(
    watched: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = watched
    _sign_in(page, web.admin_token)
    page.click("nav >> text=People")
    page.click("table.people a:has-text('Ann')")
    expect(page).to_have_url(re.compile(rf"/people/{team['ann']}$"))
    expect(page.locator("h1")).to_have_text("Ann")
    expect(page.locator(".person-facts")).to_have_text("On call now in payments.")
    expect(page.locator(".rotations-of li")).to_have_text(["database", "payments on call"])
    rows = page.locator("table.shifts tbody tr")
    # payments: now to 7 Dec, 14-21 and 28 Dec-4 Jan (28 days: to 30 Dec); database: every
    # other day from 3 December at 09:00 Berlin (Bo is on call until then).
    expect(rows.first).to_contain_text("payments")
    expect(rows.first).to_contain_text("now")
    expect(rows.first.locator("td").nth(2)).to_contain_text("Mon 07 Dec 2026 09:00 CET")
    expect(rows.nth(1)).to_contain_text("database")
    expect(rows.nth(1).locator("td").nth(1)).to_contain_text("Thu 03 Dec 2026 09:00 CET")
    expect(rows).to_have_count(3 + 14)
    # The viewer's own time comes from the script, not the ISO fallback.
    expect(rows.first.locator("time").first).not_to_have_text(re.compile(r"T\d\d:"))
    expect(page.locator("#feed-url")).to_have_count(0)

    page.click("button:has-text('Make a feed link')")
    link = page.locator("#feed-url")
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    assert url is not None and url.startswith(web.url)
    shoot(page, "person-feed")
    # A calendar client: no cookie, no Authorization header.
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].startswith("text/calendar")
    events = list(icalendar.Calendar.from_ical(fetched.content).walk("VEVENT"))
    summaries = {str(e.get("summary")) for e in events}
    assert summaries == {"On call: payments", "On call: database"}
    assert len(events) > 3 + 14  # 180 days, more than the page's 28

    page.goto(f"/people/{team['ann']}")
    expect(page.locator("#feed-url")).to_have_count(0)  # shown once only
    expect(page.locator(".feed-state")).to_contain_text("A feed link exists")
    page.click("button:has-text('Revoke the feed link')")
    expect(page.locator("#flash")).to_have_text(
        "Revoked the feed link: calendars using it stop updating."
    )
    expect(page.locator(".feed-state")).to_have_count(0)
    assert httpx.get(url).status_code == 401
    shoot(page, "person")
    assert errors == []


def test_on_call_now_links_to_the_person_and_readers_see_no_feed_controls(
    watched: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = watched
    _sign_in(page, web.reader_token)
    page.goto("/oncall")
    page.click("table.oncall a:has-text('Bo')")  # on call in database until 3 December
    expect(page).to_have_url(re.compile(rf"/people/{team['bo']}$"))
    expect(page.locator(".person-facts")).to_have_text("On call now in database.")
    expect(page.locator("#feed button")).to_have_count(0)
    expect(page.locator("#feed")).to_contain_text("ask one for Bo's")
    page.click("a.button:has-text('Calendar')")
    expect(page).to_have_url(re.compile(rf"person={team['bo']}"))
    expect(page.locator("#cal-person")).to_have_value(str(team["bo"]))
    forged = page.request.post(f"/people/{team['bo']}/feed")
    assert forged.status == 403
    assert errors == []
    missing = page.goto("/people/00000000-0000-4000-8000-000000000000")
    assert missing is not None and missing.status == 404
    expect(page.locator(".error")).to_contain_text("No user")


def test_override_shifts_and_the_overrides_that_name_a_person(
    watched: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = watched
    cover = overrides.Draft(
        datetime(2026, 12, 3, 17, tzinfo=UTC),
        datetime(2026, 12, 4, 7, tzinfo=UTC),
        team["bo"],
        replaces_user_id=team["ann"],
        note="Ann's night off",
    )

    async def arrange(conn: Any) -> None:
        await overrides.create(conn, team["payments"].id, cover, limit=10)

    web.run(arrange)
    _sign_in(page, web.reader_token)
    page.goto(f"/people/{team['bo']}")
    covering = page.locator("table.shifts tbody tr").filter(has_text="override")
    expect(covering).to_have_count(1)
    expect(covering).to_contain_text("payments")
    expect(covering.locator("td").nth(1)).to_contain_text("Thu 03 Dec 2026 18:00 CET")
    expect(covering.locator("td").nth(2)).to_contain_text("Fri 04 Dec 2026 08:00 CET")
    naming = page.locator("table.overrides-of tbody tr td")
    expect(naming).to_contain_text(["payments", "Bo covers Ann", "Thu", "Fri"])
    expect(naming.nth(1).locator(".hint")).to_have_text("Ann's night off")
    page.goto(f"/people/{team['ann']}")
    expect(naming).to_contain_text(["payments", "Bo covers Ann", "Thu", "Fri"])
    # Ann's payments shift is cut by the override; her own shifts carry no override tag.
    ann_payments = page.locator("table.shifts tbody tr").filter(has_text="payments")
    expect(ann_payments.first.locator("td").nth(2)).to_contain_text("Thu 03 Dec 2026 18:00 CET")
    expect(page.locator("table.shifts .override-tag")).to_have_count(0)
    shoot(page, "person-overrides")
    assert errors == []


def test_a_reminder_lead_time_in_words() -> None:
    assert [before(m) for m in (0, 1, 15, 60, 90, 120, 1440, 2880, 10080)] == [
        "at the start of",
        "1 minute before",
        "15 minutes before",
        "1 hour before",
        "90 minutes before",
        "2 hours before",
        "1 day before",
        "2 days before",
        "7 days before",
    ]


def test_the_persons_reminders_are_listed(
    watched: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = watched

    async def arrange(conn: Any) -> None:
        await conn.execute(
            "INSERT INTO notify_channels (name, kind, target, disabled_at) VALUES"
            " ('team-slack', 'slack', 'https://hooks.slack.com/services/x', NULL),"
            " ('old-slack', 'slack', 'https://hooks.slack.com/services/y', now())"
        )
        await conn.execute(
            "INSERT INTO notify_reminders (user_id, channel_id, before_minutes)"
            " SELECT %s, id, m FROM notify_channels,"
            " (VALUES (60), (0)) AS lead (m) WHERE name = 'team-slack'"
            " UNION ALL SELECT %s, id, 1440 FROM notify_channels WHERE name = 'old-slack'",
            (team["ann"], team["ann"]),
        )

    web.run(arrange)
    _sign_in(page, web.reader_token)
    page.goto(f"/people/{team['ann']}")
    expect(page.locator(".reminders-of li")).to_have_text(
        [
            "At the start of each shift, by team-slack (slack)",
            "1 hour before each shift, by team-slack (slack)",
            "1 day before each shift, by old-slack (slack, disabled)",
        ]
    )
    page.goto(f"/people/{team['bo']}")
    expect(page.locator(".reminders-of")).to_have_count(0)
    expect(page.locator("text=Bo is not reminded")).to_be_visible()
    assert errors == []
