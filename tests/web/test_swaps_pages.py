"""The pages list the swaps that have not ended (the API lists them all): a rotation's page and
a person's page drop a swap once its end has passed; a reader sees them without controls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handoff.store import swaps

from .client import Browser
from .conftest import Web
from .test_swaps_ui import BERLIN, _next_shift, _responder


def test_pages_list_swaps_until_they_end(browser: Browser, web: Web) -> None:
    ann, bo = _responder(web, "Ann"), _responder(web, "Bo")
    monday = datetime(2026, 1, 5, 9, tzinfo=BERLIN)
    rotation = web.rotation("payments", "daily", monday, "Europe/Berlin", [ann, bo])
    start = _next_shift(web, ann)

    async def ask(conn: Any) -> swaps.Swap:
        return await swaps.request(conn, rotation.id, ann, start, start + timedelta(hours=2))

    swap: swaps.Swap = web.run(ask)
    browser.sign_in(web.reader_token)
    pages = (f"/rotations/{rotation.id}", f"/people/{ann}")
    for path in pages:
        shown = browser.client.get(path).text
        assert f'data-swap="{swap.id}"' in shown, path
        assert f"/swaps/{swap.id}/take" not in shown and f"/swaps/{swap.id}/cancel" not in shown
    web.clock.offset = start + timedelta(hours=3) - datetime.now(BERLIN)
    browser.sign_in(web.reader_token)  # the session has gone idle meanwhile
    for path in pages:
        later = browser.client.get(path)
        assert later.status_code == 200, later.text[:300]
        assert f'data-swap="{swap.id}"' not in later.text, path

    async def listed(conn: Any) -> list[str]:
        found = await swaps.list_swaps(conn, limit=10, rotation_id=rotation.id)
        return [s.status for s in found.items]

    assert web.run(listed) == ["expired"]
