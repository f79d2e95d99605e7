"""Person pickers list a bounded set, never everyone (issue 25: ten thousand people made every
form megabytes): the first `LIST_PAGE` by name and the chosen ones, with a search by name or
email when more match (`who`), on every page that picks a person."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from handoff.store import users
from handoff.web.views import LIST_PAGE

from .client import Browser, csrf
from .conftest import Web

OPTION = re.compile(r'<option value="([0-9a-f-]{36})"')


def _people(web: Web, count: int) -> list[UUID]:
    async def create(conn: Any) -> list[UUID]:
        now = web.clock.now()
        made = [await users.create(conn, f"Pick {n:03}", None, now=now) for n in range(count)]
        return [u.id for u in made]

    found: list[UUID] = web.run(create)
    return found


def _options(html: str) -> list[str]:
    return OPTION.findall(html)


def test_every_person_picker_is_bounded_keeps_the_chosen_and_searches(
    browser: Browser, web: Web
) -> None:
    picks = _people(web, LIST_PAGE + 5)
    chosen = web.user("Zz Chosen")  # sorts after every "Pick": beyond the first page
    rotation = web.rotation("picked", "daily", web.clock.now(), "UTC", [chosen]).id
    browser.sign_in(web.admin_token)
    # The pages, and whether the chosen person is chosen there (a filter, a participant).
    pages = {
        f"/oncall?user={chosen}": True,
        f"/calendar?person={chosen}": True,
        f"/reports?person={chosen}": True,
        f"/rotations/{rotation}/changes/new": True,
        f"/rotations/{rotation}": False,
        f"/rotations/{rotation}/overrides/new": False,
        "/rotations/new": False,
    }
    for path, picked in pages.items():
        response = browser.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        people = [o for o in _options(response.text) if UUID(o) in {*picks, chosen}]
        pickers = max(1, response.text.count('aria-label="Participant '))
        assert len(set(people)) <= LIST_PAGE + 1, (path, len(set(people)))
        assert len(people) <= pickers * 2 * (LIST_PAGE + 1), (path, len(people))
        assert str(picks[LIST_PAGE + 4]) not in people, path  # the last "Pick" is not listed
        if picked:
            assert str(chosen) in people, path  # the chosen one, wherever they fall
        assert 'name="who"' in response.text, path
    found = browser.client.get("/oncall", params={"who": "pick 05"}).text
    assert {str(picks[n]) for n in range(50, LIST_PAGE + 5)} <= set(_options(found))
    assert str(picks[0]) not in _options(found)
    assert "whose name or email has “pick 05”" in found
    assert browser.client.get("/oncall", params={"who": "a\x00b"}).status_code == 200
    # The create form's search keeps what was typed.
    form = browser.client.get("/rotations/new").text
    searched = browser.client.post(
        "/rotations/new",
        data={
            "csrf_token": csrf(form),
            "name": "typed",
            "participant": "",
            "action": "find",
            "who": "Pick 054",
        },
    )
    assert searched.status_code == 200
    assert 'value="typed"' in searched.text
    assert str(picks[54]) in _options(searched.text) and str(picks[0]) not in _options(
        searched.text
    )
