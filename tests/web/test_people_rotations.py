"""The People page shows at most PEOPLE_ROTATIONS rotations of each person, those they are on
call in now first, then by name, and counts the others with a link to their own page (issue 25:
a person in 300 rotations made the page read and project all 300)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from uuid import UUID

from handoff.store import overrides
from handoff.web.views import PEOPLE_ROTATIONS

from .client import Browser
from .conftest import Web

_ROW = re.compile(r'<tr id="person-([^"]+)".*?<td class="rotations-in"[^>]*>(.*?)</td>', re.S)
_SHOWN = re.compile(r'<a href="/rotations/[^"]+"( class="on-call-in")?>([^<]+)</a>')
_MORE = re.compile(r'<a class="more-rotations" href="([^"]+)">and (\d+) more</a>')


def _cells(html: str) -> dict[str, str]:
    return {person: cell for person, cell in _ROW.findall(html)}


def _override(web: Web, rotation_id: UUID, who: UUID) -> None:
    """An override of `who` in force from a minute ago for an hour."""
    start = web.clock.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    draft = overrides.Draft(start, start + timedelta(hours=1), who)

    async def create(conn: Any) -> None:
        await overrides.create(conn, rotation_id, draft, limit=10)

    web.run(create)


def test_people_page_bounds_each_persons_rotations_on_call_first(
    web: Web, browser: Browser
) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    start = web.clock.now() - timedelta(hours=1)
    plain = [f"b plain {n}" for n in range(PEOPLE_ROTATIONS)]
    for name in plain:
        web.rotation(name, "daily", start, "UTC", [bo, ann])  # Bo's turn
    web.rotation("y own turn", "daily", start, "UTC", [ann, bo])
    covered = web.rotation("x covering", "daily", start, "UTC", [bo, ann])
    _override(web, covered.id, ann)
    # Her turn by the grid, but an override of Bo's takes it (recorded): not on call, named last.
    displaced = web.rotation("z displaced", "daily", start, "UTC", [ann, bo])
    _override(web, displaced.id, bo)
    browser.sign_in(web.reader_token)
    html = browser.client.get("/people").text
    cells = _cells(html)
    shown = [(bool(on), unescape(name)) for on, name in _SHOWN.findall(cells[str(ann)])]
    expected = [(True, "x covering"), (True, "y own turn")]
    expected += [(False, name) for name in plain[: PEOPLE_ROTATIONS - 2]]
    assert shown == expected
    more = _MORE.search(cells[str(ann)])
    assert more is not None, cells[str(ann)]
    assert more.groups() == (f"/people/{ann}#rotations-in", "3")
    # Bo is in as many, on call in the plain ones and the displaced one.
    bos = [(bool(on), unescape(name)) for on, name in _SHOWN.findall(cells[str(bo)])]
    assert bos == [(True, name) for name in plain]
    bo_more = _MORE.search(cells[str(bo)])
    assert bo_more is not None and bo_more.group(2) == "3"
    # Her page lists every one of them.
    mine = browser.client.get(more.group(1)).text
    assert all(name in mine for name in [*plain, "x covering", "y own turn", "z displaced"])


def test_people_page_shows_everything_of_a_person_within_the_bound(
    web: Web, browser: Browser
) -> None:
    ann = web.user("Ann")
    start = web.clock.now() - timedelta(hours=1)
    names = [f"r {n}" for n in range(PEOPLE_ROTATIONS)]
    for name in names:
        web.rotation(name, "daily", start, "UTC", [ann])
    browser.sign_in(web.reader_token)
    cell = _cells(browser.client.get("/people").text)[str(ann)]
    assert [unescape(name) for _, name in _SHOWN.findall(cell)] == names
    assert _MORE.search(cell) is None
