"""The On call and People pages show a page at a time and link to the next (issue 25): every
row is on exactly one page, in name order, and the last page has no link."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from handoff.web.views import LIST_PAGE, PEOPLE_PAGE

from .client import Browser
from .conftest import Web

START = datetime(2026, 3, 1, 9, tzinfo=UTC)
_NEXT = re.compile(r'<a class="button secondary" href="([^"]+)" rel="next">')


def _pages(browser: Browser, first: str, row: re.Pattern[str]) -> list[list[str]]:
    """The rows of each page, following the next-page links from `first`."""
    pages: list[list[str]] = []
    target: str | None = first
    while target is not None:
        response = browser.client.get(target)
        assert response.status_code == 200, response.text[:300]
        pages.append(row.findall(response.text))
        found = _NEXT.search(response.text)
        target = unescape(found.group(1)) if found else None
    return pages


def test_on_call_pages_through_every_rotation(web: Web, browser: Browser) -> None:
    ann = web.user("Ann")
    names = [f"rot {n:03}" for n in range(LIST_PAGE + 3)]
    for name in names:
        web.rotation(name, "daily", START, "UTC", [ann])
    browser.sign_in(web.reader_token)
    pages = _pages(browser, "/oncall", re.compile(r'<td><a href="/rotations/[^"]+">([^<]+)</a>'))
    assert [len(p) for p in pages] == [LIST_PAGE, 3]
    assert [n for p in pages for n in p] == names
    mine = _pages(
        browser, f"/oncall?user={ann}", re.compile(r'<td><a href="/rotations/[^"]+">([^<]+)</a>')
    )
    assert [n for p in mine for n in p] == names


def test_people_pages_through_everyone(web: Web, browser: Browser) -> None:
    names = [f"Person {n:03}" for n in range(PEOPLE_PAGE + 2)]
    for name in names:
        web.user(name)
    browser.sign_in(web.reader_token)
    pages = _pages(browser, "/people", re.compile(r'<td class="name"><a href="[^"]+">([^<]+)</a>'))
    assert [len(p) for p in pages] == [PEOPLE_PAGE, 2]
    assert [n for p in pages for n in p] == names
