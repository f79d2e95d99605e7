"""Rotation pickers list a bounded set, never every rotation: the first `LIST_PAGE` by name,
with a search by name (`named`) when more match, so the Schedules pages can still pick the
rotation that sorts last (the create form's layers and a schedule's "Add layer")."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from handoff.store import rotations, schedules
from handoff.web.views import LIST_PAGE

from .client import Browser, csrf
from .conftest import MAX_PARTICIPANTS, Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
OPTION = re.compile(r'<option value="([0-9a-f-]{36})"')


def _rotations(web: Web, count: int) -> list[UUID]:
    async def create(conn: Any) -> list[UUID]:
        made = []
        for n in range(count):
            config = rotations.Config(f"Rota {n:03}", "daily", START, "UTC")
            made.append((await rotations.create(conn, config, [], limit=MAX_PARTICIPANTS)).id)
        return made

    found: list[UUID] = web.run(create)
    return found


def _schedule(web: Web, name: str) -> schedules.Schedule:
    async def read(conn: Any) -> schedules.Schedule:
        listed = await schedules.list_schedules(conn, now=web.clock.now(), limit=10)
        return next(s for s in listed.items if s.name == name)

    found: schedules.Schedule = web.run(read)
    return found


def _search(html: str) -> str:
    """The rotation search's form, so its hidden fields can be read."""
    return html.split('class="search find find-rotations"')[1].split("</form>")[0]


def test_the_schedule_pages_pick_a_rotation_beyond_the_first_page_by_searching(
    browser: Browser, web: Web
) -> None:
    browser.sign_in(web.admin_token)
    web.rotation("Few", "daily", START, "UTC")
    assert 'name="named"' not in browser.client.get("/schedules").text  # all listed: no search
    rotas = _rotations(web, LIST_PAGE + 5)
    last = rotas[-1]  # "Rota 054": the 55th of them by name

    listing = browser.client.get("/schedules").text
    assert str(last) not in OPTION.findall(listing)
    assert f"The first {LIST_PAGE} rotations are listed: search to find others." in listing
    assert 'name="named"' in listing
    found = browser.client.get("/schedules", params={"named": "rota 054"}).text
    assert str(last) in OPTION.findall(found) and str(rotas[0]) not in OPTION.findall(found)
    assert "The rotations whose name has “rota 054” are listed." in found
    created = browser.client.post(
        "/schedules",
        data={"csrf_token": csrf(found), "name": "Far", "time_zone": "UTC",
              "combine": "priority", "layer": [str(last), str(rotas[0])]},
    )  # fmt: skip
    assert created.status_code == 303, created.text[:300]
    schedule = _schedule(web, "Far")
    assert [layer.rotation_id for layer in schedule.layers] == [last, rotas[0]]

    # The schedule's "Add layer": rotation 54 (index 53) is beyond the first page too.
    base = f"/schedules/{schedule.id}"
    other = rotas[LIST_PAGE + 3]
    page = browser.client.get(base, params={"shown": "yes"}).text
    assert str(other) not in OPTION.findall(page)
    assert 'name="shown" value="yes"' in _search(page)  # the address's other parameters stay
    searched = browser.client.get(base, params={"named": "Rota 05"}).text
    offered = OPTION.findall(searched.split("Rotation to add")[1])
    assert str(other) in offered and str(last) not in offered  # a layer already
    assert 'value="Rota 05"' in searched
    added = browser.client.post(
        f"{base}/layers", data={"csrf_token": csrf(searched), "rotation_id": str(other)}
    )
    assert added.status_code == 303, added.text[:300]
    assert [layer.rotation_id for layer in _schedule(web, "Far").layers] == [
        last,
        rotas[0],
        other,
    ]
    # A search no name can hold finds nothing and the page still answers.
    nothing = browser.client.get(base, params={"named": "a\x01b"})
    assert nothing.status_code == 200 and "Rotation to add" not in nothing.text
    assert 'name="named"' in nothing.text  # the search stays to be changed
