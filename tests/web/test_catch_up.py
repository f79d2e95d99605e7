"""The UI's forms are writers too (engine.md, "Every writer catches up first"): one second after
a boundary no engine has processed, a form's edit records the boundary first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handoff.grid import Grid
from handoff.store import history, rotations

from .client import Browser
from .conftest import Web

START = datetime(2026, 1, 5, tzinfo=UTC)
HOURLY = Grid("hourly", 1, START, "UTC")


def _post(browser: Browser, rotation: rotations.Rotation, form: str) -> Any:
    if form == "edit":
        return browser.client.post(
            f"/rotations/{rotation.id}/edit",
            data={
                "csrf_token": browser.csrf,
                "name": rotation.name,
                "type": "hourly",
                "shift_length": "2",
                "start": "2026-01-05T00:00",
                "time_zone": "UTC",
            },
        )
    third = rotation.participants[2].id
    return browser.client.post(
        f"/rotations/{rotation.id}/participants/{third}/{form}",
        data={"csrf_token": browser.csrf},
    )


@pytest.mark.parametrize("form", ["edit", "active", "remove"])
def test_a_form_records_the_crossed_boundary_first(browser: Browser, web: Web, form: str) -> None:
    people = [web.user(name) for name in ("Ann", "Bo", "Cy")]
    rotation = web.rotation("ops", "hourly", START, "UTC", people)
    started = rotation.shift_start
    assert started is not None
    boundary = HOURLY.end_time(started)
    web.clock.offset = boundary + timedelta(seconds=1) - datetime.now(UTC)
    browser.sign_in(web.admin_token)
    answer = _post(browser, rotation, form)
    assert answer.status_code in (200, 303), answer.text

    async def read(conn: Any) -> list[history.Entry]:
        page = await history.history(conn, rotation.id, limit=50)
        return list(page.items)

    entries = sorted(web.run(read), key=lambda e: e.boundary_at)
    assert [(e.cause, e.boundary_at) for e in entries[:2]] == [
        ("started", started),
        ("boundary", boundary),
    ]
    assert all(e.boundary_at > boundary for e in entries[2:])
