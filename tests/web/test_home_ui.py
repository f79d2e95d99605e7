"""My shifts (people.md): signed in as herself, Ann's home page shows her next shifts with
whom she takes over from and hands to, her reminders, and Bo's open swap she takes there; the
calendar opens on her, and "Everyone" stays chosen as she moves on. At 1280 and 390 px."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import expect

from handoff.store import swaps

from .conftest import Web
from .screens import SIZES, shoot
from .test_swaps_ui import BERLIN, _next_shift, _responder, _sign_in


def _remind_and_ask(web: Web, ann: UUID, bo: UUID, rotation_id: UUID) -> None:
    """A reminder of Ann's (an hour before, through 'pager'), and Bo asking for cover."""
    start = _next_shift(web, bo)

    async def arrange(conn: Any) -> None:
        cur = await conn.execute(
            "INSERT INTO notify_channels (name, kind, target, secret)"
            " VALUES ('pager', 'webhook', 'http://127.0.0.1:9/never', '\\x00') RETURNING id"
        )
        channel = (await cur.fetchone())[0]
        await conn.execute(
            "INSERT INTO notify_reminders (user_id, channel_id, before_minutes)"
            " VALUES (%s, %s, 60)",
            (ann, channel),
        )
        await swaps.request(conn, rotation_id, bo, start, start + timedelta(hours=2), "flight")

    web.run(arrange)


@pytest.mark.e2e
@pytest.mark.parametrize("size", list(SIZES))
def test_my_shifts_on_the_home_page_and_the_calendar_on_me(
    page: Any, console: list[str], web: Web, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    ann, bo = _responder(web, "Ann"), _responder(web, "Bo")
    monday = datetime(2026, 1, 5, 9, tzinfo=BERLIN)
    rotation = web.rotation("payments", "daily", monday, "Europe/Berlin", [ann, bo])
    _remind_and_ask(web, ann, bo, rotation.id)
    _sign_in(page, "Ann")
    page.goto("/")
    expect(page.locator("h1")).to_have_text("My shifts")
    rows = page.locator("#my-shifts tbody tr")
    expect(rows.first).to_contain_text("payments")
    assert rows.count() >= 2
    later = rows.nth(1)  # a whole shift: between two of Bo's
    expect(later.locator("td[data-label='Take over from']")).to_have_text("Bo")
    expect(later.locator("td[data-label='Hand to']")).to_have_text("Bo")
    expect(page.locator("#my-reminders")).to_contain_text("1 hour before each shift, through pager")
    offer = page.locator("#takeable li")
    expect(offer).to_contain_text("Bo asks for cover")
    expect(offer).to_contain_text("flight")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if size == "desktop":
        shoot(page, "home-my-shifts")  # both sizes
    offer.locator("button:has-text('Take')").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#flash")).to_have_text("Took the shift.")
    expect(page.locator("#swaps .swap-list li")).to_contain_text("taken by Ann")
    expect(page.locator("#takeable li")).to_have_count(0)
    expect(page.locator("#my-shifts")).to_contain_text("override")  # Bo's shift is hers now

    page.goto("/calendar")
    expect(page.locator("#cal-person")).to_have_value(str(ann))
    page.select_option("#cal-person", value="")
    page.locator("#cal-person").evaluate("select => select.form.requestSubmit()")
    expect(page.locator("#cal-person")).to_have_value("")
    page.click("a[rel='next']")
    expect(page.locator("#cal-person")).to_have_value("")  # still everyone, not "me" again
    assert console == []
