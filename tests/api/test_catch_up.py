"""Every writer catches up first (engine.md): with no engine running, an edit made one second
after a boundary (or after three days of downtime) records every boundary crossed since the
shift began, under the same lock, and only then applies itself; a worker started afterwards
adds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection

from handoff.grid import Grid
from handoff.store import state

from .conftest import T0, Api

START = datetime(2026, 3, 1, tzinfo=UTC)
HOURLY = Grid("hourly", 1, START, "UTC")
FIRST = HOURLY.end_time(T0)  # 10:00, half an hour after the rotation starts at T0


def _history(api: Api, rotation_id: str) -> list[tuple[str, datetime, str | None, str | None]]:
    rows = api.sql(
        "SELECT cause, boundary_at, from_user_name, to_user_name FROM handoffs"
        " WHERE rotation_id = %s ORDER BY boundary_at, id",
        rotation_id,
    )
    return [(r["cause"], r["boundary_at"], r["from_user_name"], r["to_user_name"]) for r in rows]


async def _engine(url: str, rotation_id: str) -> None:
    async with await AsyncConnection.connect(url) as conn:
        await state.write(conn, UUID(rotation_id), engine="queue")


Edit = Callable[[Api, dict[str, Any], dict[str, str]], None]


def _ok(response: Any) -> None:
    assert response.status_code < 300, response.text


WRITERS: dict[str, Edit] = {
    "add": lambda api, r, u: _ok(
        api.admin.post(f"/api/v1/rotations/{r['id']}/participants", json={"user_id": u["Dan"]})
    ),
    "remove another": lambda api, r, u: _ok(
        api.admin.delete(f"/api/v1/rotations/{r['id']}/participants/{r['participants'][2]['id']}")
    ),
    "replace": lambda api, r, u: _ok(
        api.admin.patch(
            f"/api/v1/rotations/{r['id']}", json={"participants": [u["Cid"], u["Bob"], u["Ann"]]}
        )
    ),
    "set active": lambda api, r, u: _ok(
        api.admin.patch(f"/api/v1/rotations/{r['id']}", json={"active_index": 0})
    ),
    "grid edit": lambda api, r, u: _ok(
        api.admin.patch(f"/api/v1/rotations/{r['id']}", json={"shift_length": 2})
    ),
    "delete user": lambda api, r, u: _ok(api.admin.delete(f"/api/v1/users/{u['Cid']}")),
}


@pytest.mark.parametrize("downtime", [timedelta(seconds=1), timedelta(days=3, seconds=1)])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_writer_records_the_crossed_boundaries_first(
    api: Api, writer: str, downtime: timedelta
) -> None:
    people = {name: api.user(name) for name in ("Ann", "Bob", "Cid", "Dan")}
    rotation = api.rotation(
        "primary",
        [people["Ann"], people["Bob"], people["Cid"]],
        type="hourly",
        start="2026-03-01T00:00:00Z",
        time_zone="UTC",
    )
    now = FIRST + downtime - timedelta(seconds=1) if downtime.days else FIRST + downtime
    api.clock.set(now)
    WRITERS[writer](api, rotation, people)
    crossed = [FIRST]
    while HOURLY.end_time(crossed[-1]) <= now:
        crossed.append(HOURLY.end_time(crossed[-1]))
    history = _history(api, rotation["id"])
    boundaries = [h for h in history if h[0] == "boundary"]
    names = ["Ann", "Bob", "Cid"]
    assert boundaries == [
        ("boundary", at, names[i % 3], names[(i + 1) % 3]) for i, at in enumerate(crossed)
    ]
    # ... recorded before the edit's own handoff, if it made one
    assert history[: 1 + len(crossed)] == [("started", T0, None, "Ann"), *boundaries]
    assert all(at == now for _, at, _, _ in history[1 + len(crossed) :])
    before = _history(api, rotation["id"])
    asyncio.run(_engine(api.db_url, rotation["id"]))  # a worker started afterwards
    assert _history(api, rotation["id"]) == before


def test_the_person_on_call_after_catching_up_is_the_one_an_edit_acts_on(api: Api) -> None:
    """Deleting the user who went on call at the crossed boundary hands their shift on."""
    people = {name: api.user(name) for name in ("Ann", "Bob", "Cid")}
    rotation = api.rotation(
        "primary",
        list(people.values()),
        type="hourly",
        start="2026-03-01T00:00:00Z",
        time_zone="UTC",
    )
    api.clock.set(FIRST + timedelta(seconds=1))
    _ok(api.admin.delete(f"/api/v1/users/{people['Bob']}"))
    assert _history(api, rotation["id"])[1:] == [
        ("boundary", FIRST, "Ann", "Bob"),
        ("participant_removed", FIRST + timedelta(seconds=1), "Bob", "Cid"),
    ]
    shown = api.reader.get(f"/api/v1/rotations/{rotation['id']}").json()
    assert shown["on_call_user_id"] == people["Cid"]
