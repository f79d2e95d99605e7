"""Shift swaps in the browser (people.md): Ann, a responder, asks for cover of her next shift
on the rotation's page; Bo, signed in as himself, takes it there; the override appears and
both person pages list the swap. At desktop and phone sizes, in Chromium."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from handoff.store import accounts, calendar, passwords, users

from .conftest import Web
from .screens import SIZES, shoot

PASSWORD = "a long enough passphrase"
BERLIN = ZoneInfo("Europe/Berlin")


def _responder(web: Web, name: str) -> UUID:
    async def make(conn: Any) -> UUID:
        made = await users.create(conn, name, f"{name.lower()}@example.com", now=web.clock.now())
        await accounts.set_role(conn, made.id, "responder")
        await passwords.set_password(conn, made.id, PASSWORD, now=web.clock.now())
        return made.id

    user_id: UUID = web.run(make)
    return user_id


def _next_shift(web: Web, user_id: UUID) -> datetime:
    """The start of the person's first own shift that starts after tomorrow."""

    async def read(conn: Any) -> datetime:
        after = web.clock.now() + timedelta(days=1)
        found = await calendar.project(conn, after, after + timedelta(days=7), user_id=user_id)
        return min(s.start for s in found.segments if s.start > after)

    start: datetime = web.run(read)
    return start


def _sign_in(page: Any, name: str) -> None:
    page.goto("/signin")
    page.fill("#email", f"{name.lower()}@example.com")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in as yourself')")
    expect(page).to_have_url(re.compile(r"/$"))  # a person lands on their own shifts


@pytest.mark.e2e
@pytest.mark.parametrize("size", list(SIZES))
def test_ask_for_cover_and_take_it_in_the_browser(
    page: Any, console: list[str], web: Web, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    ann, bo = _responder(web, "Ann"), _responder(web, "Bo")
    monday = datetime(2026, 1, 5, 9, tzinfo=BERLIN)
    rotation = web.rotation("payments", "daily", monday, "Europe/Berlin", [ann, bo])
    start = _next_shift(web, ann).astimezone(BERLIN)
    _sign_in(page, "Ann")
    page.goto(f"/rotations/{rotation.id}")
    page.fill("#swap-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#swap-end", (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#swap-note", "dentist")
    page.click("button:has-text('Ask for cover')")
    expect(page.locator("#flash")).to_have_text("Asked for cover.")
    swap = page.locator("#swaps .swap-list li")
    expect(swap).to_have_count(1)
    expect(swap).to_contain_text("Ann asks for cover")
    expect(swap).to_contain_text("open")
    expect(swap).to_contain_text("dentist")
    expect(swap.locator("button:has-text('Take')")).to_have_count(0)  # not her own
    expect(swap.locator("button:has-text('Cancel')")).to_have_count(1)
    page.fill("#swap-start", (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#swap-end", (start - timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Ask for cover')")
    expect(page.locator("#swap-error")).to_contain_text("not on call")  # Bo's shift

    page.click("button:has-text('Sign out')")
    _sign_in(page, "Bo")
    page.goto(f"/rotations/{rotation.id}")
    swap = page.locator("#swaps .swap-list li")
    expect(swap.locator("button:has-text('Cancel')")).to_have_count(0)  # not his
    swap.locator("button:has-text('Take')").click()
    expect(page.locator("#flash")).to_have_text("Took the shift.")
    expect(swap).to_contain_text("taken by Bo")
    expect(page.locator("#overrides .plan-list li")).to_contain_text("Bo on call instead of Ann")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if size == "desktop":
        shoot(page, "rotation-swaps")  # both sizes
    page.goto(f"/people/{ann}")
    expect(page.locator("#swaps .swap-list li")).to_contain_text("taken by Bo")
    expect(page.locator("#swaps a")).to_have_text(re.compile("payments"))
    # the one refusal above is a 422 page, as it should be; nothing else went wrong
    assert [e for e in console if "status of 422" not in e] == []
