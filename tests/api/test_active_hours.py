"""Active hours through the API and the write path (hours.md): the rotation object, create,
PATCH, validation with every fault at once, who is on call, /shifts with gaps, and the engine
recording the edges of the active period once each, in time order after a downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import icalendar
from psycopg import AsyncConnection

from handoff.store import state

from .conftest import T0, Api

BUSINESS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]
START = "2026-03-02T09:00:00+01:00"  # Monday 09:00 in Berlin; T0 is 10:30 there
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
OPENS = datetime(2026, 3, 2, 8, tzinfo=UTC)  # 09:00 Berlin (CET) on Monday
CLOSES = OPENS + 8 * HOUR


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _weekdays(api: Api) -> tuple[dict[str, Any], str, str]:
    ann, bob = api.user("Ann"), api.user("Bob")
    body = api.rotation("weekdays", [ann, bob], start=START, active_hours=BUSINESS)
    return body, ann, bob


def _engine(api: Api, rotation_id: str) -> None:
    async def run() -> None:
        async with await AsyncConnection.connect(api.db_url) as conn:
            await state.write(conn, UUID(rotation_id), engine="queue")

    asyncio.run(run())


def _history(api: Api, rotation_id: str) -> list[tuple[str, datetime, str | None, str | None]]:
    rows = api.sql(
        "SELECT cause, boundary_at, from_user_name, to_user_name FROM handoffs"
        " WHERE rotation_id = %s ORDER BY boundary_at, id",
        rotation_id,
    )
    return [(r["cause"], r["boundary_at"], r["from_user_name"], r["to_user_name"]) for r in rows]


def test_the_rotation_object_carries_active_hours_and_turns(api: Api) -> None:
    body, ann, _ = _weekdays(api)
    assert body["active_hours"] == BUSINESS and body["turns"] == "active"
    assert body["on_call_user_id"] == ann  # 10:30 on a Monday: inside the hours
    assert body["next_handoff"] == _z(OPENS + DAY)  # Tuesday's first active unit
    path = f"/api/v1/rotations/{body['id']}"
    assert api.reader.get(path).json()["active_hours"] == BUSINESS
    turned = api.admin.patch(path, json={"turns": "calendar"}).json()
    assert turned["active_hours"] == BUSINESS and turned["turns"] == "calendar"
    renamed = api.admin.patch(path, json={"name": "business"}).json()
    assert renamed["active_hours"] == BUSINESS and renamed["turns"] == "calendar"
    nights = [{"days": ["mon", "tue"], "from": "17:00", "to": "09:00"}]
    assert api.admin.patch(path, json={"active_hours": nights}).json()["active_hours"] == nights
    always = api.admin.patch(path, json={"active_hours": None}).json()
    assert always["active_hours"] is None and always["on_call_user_id"] == ann
    stored = api.sql("SELECT active_hours, turns FROM rotations WHERE id = %s", body["id"])
    assert stored == [{"active_hours": None, "turns": "calendar"}]


def test_every_fault_is_a_422_and_changes_nothing(api: Api) -> None:
    base = {"name": "r", "type": "daily", "start": START, "time_zone": "Europe/Berlin"}
    bad = [
        {"days": ["mon", "Tue"], "from": "9:00", "to": "17:00"},
        {"days": ["sat"], "from": "10:00", "to": "10:00"},
        {"days": [], "from": "24:00", "to": "24:00"},
    ]
    response = api.admin.post("/api/v1/rotations", json=base | {"active_hours": bad})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [
        "active_hours[0].days",
        "active_hours[0].from",
        "active_hours[1]",
        "active_hours[2].days",
        "active_hours[2].from",
    ]
    empty = api.admin.post("/api/v1/rotations", json=base | {"active_hours": []})
    assert empty.status_code == 422 and "null for always" in empty.text
    assert api.sql("SELECT count(*) AS n FROM rotations")[0]["n"] == 0
    body, _, _ = _weekdays(api)
    patched = api.admin.patch(f"/api/v1/rotations/{body['id']}", json={"active_hours": bad})
    assert patched.status_code == 422
    stored = api.sql("SELECT active_hours FROM rotations WHERE id = %s", body["id"])
    assert stored == [{"active_hours": BUSINESS}]


def test_nobody_is_on_call_outside_the_hours_and_shifts_have_gaps(api: Api) -> None:
    body, ann, bob = _weekdays(api)
    path = f"/api/v1/rotations/{body['id']}"
    schedule = api.sql(
        "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", body["id"]
    )
    assert schedule == [{"next_run_at": CLOSES}]  # the active_end, before the next turn
    shifts = api.reader.get(
        f"{path}/shifts", params={"since": _z(T0), "until": _z(OPENS + 2 * DAY + HOUR)}
    ).json()["items"]
    assert [(s["user_id"], s["start"], s["end"]) for s in shifts] == [
        (ann, _z(T0), _z(CLOSES)),
        (bob, _z(OPENS + DAY), _z(CLOSES + DAY)),
        (ann, _z(OPENS + 2 * DAY), _z(CLOSES + 2 * DAY)),
    ]
    handoffs = api.reader.get(f"{path}/handoffs", params={"count": 3}).json()["items"]
    assert handoffs == [
        {"at": _z(OPENS + DAY), "user_id": bob},
        {"at": _z(OPENS + 2 * DAY), "user_id": ann},
        {"at": _z(OPENS + 3 * DAY), "user_id": bob},
    ]
    api.clock.set(CLOSES + HOUR)
    assert api.reader.get(path).json()["on_call_user_id"] is None
    oncall = api.reader.get("/api/v1/oncall", params={"rotation_id": body["id"]}).json()
    assert oncall["items"] == []


def test_the_engine_records_active_edges_once_across_a_weekend_downtime(api: Api) -> None:
    body, _, _ = _weekdays(api)
    friday = OPENS + 4 * DAY
    api.clock.set(friday + 7 * HOUR)  # Friday 15:00 in Berlin
    _engine(api, body["id"])
    api.clock.set(OPENS + 7 * DAY + 2 * HOUR)  # three days later: Monday 11:00
    _engine(api, body["id"])
    _engine(api, body["id"])  # a second run adds nothing
    rows = _history(api, body["id"])
    expected = [("started", T0, None, "Ann")]
    names = ["Ann", "Bob"]
    for day in range(5):
        person = names[day % 2]
        if day:
            expected.append(("boundary", OPENS + day * DAY, None, person))
        expected.append(("active_end", CLOSES + day * DAY, person, None))
    expected.append(("boundary", OPENS + 7 * DAY, None, "Bob"))
    assert rows == expected
    schedule = api.sql(
        "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", body["id"]
    )
    assert schedule == [{"next_run_at": CLOSES + 7 * DAY}]


def test_a_scheduled_change_sets_business_hours_at_the_next_boundary(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    body = api.rotation("later", [ann, bob], start=START)
    path = f"/api/v1/rotations/{body['id']}"
    tuesday = OPENS + DAY
    made = api.admin.post(
        f"{path}/changes",
        json={"effective_at": _z(tuesday), "changes": {"active_hours": BUSINESS}},
    )
    assert made.status_code == 201, made.text
    assert made.json()["changes"] == {"active_hours": BUSINESS}
    bad = api.admin.post(
        f"{path}/changes",
        json={
            "effective_at": _z(tuesday + DAY),
            "changes": {"active_hours": [{"days": ["mon"], "from": "25:00", "to": "x"}]},
        },
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "changes.active_hours[0].from",
        "changes.active_hours[0].to",
    ]
    always = api.admin.post(
        f"{path}/changes",
        json={"effective_at": _z(tuesday + 7 * DAY), "changes": {"active_hours": None}},
    )
    assert always.status_code == 201 and always.json()["changes"] == {"active_hours": None}
    api.clock.set(CLOSES + DAY + HOUR)  # Tuesday 18:00 in Berlin
    _engine(api, body["id"])
    _engine(api, body["id"])
    assert _history(api, body["id"])[1:] == [
        ("boundary", tuesday, "Ann", "Bob"),
        ("scheduled_change", tuesday, "Bob", "Bob"),
        ("active_end", CLOSES + DAY, "Bob", None),
    ]
    now = api.reader.get(path).json()
    assert now["active_hours"] == BUSINESS and now["on_call_user_id"] is None
    pending = api.reader.get(f"{path}/changes", params={"pending": "true"}).json()["items"]
    assert [c["changes"] for c in pending] == [{"active_hours": None}]


def test_the_preview_shows_turn_passes_and_gaps(api: Api) -> None:
    body = {
        "type": "daily",
        "start": START,
        "time_zone": "Europe/Berlin",
        "from": _z(OPENS + 4 * DAY),  # Friday 09:00
        "count": 2,
        "active_hours": BUSINESS,
    }
    found = api.reader.post("/api/v1/rotations/preview", json=body).json()
    monday = OPENS + 7 * DAY
    assert found["handoffs"] == [_z(monday), _z(monday + DAY)]
    assert found["intervals"] == [
        {"start": _z(OPENS + 4 * DAY), "end": _z(CLOSES + 4 * DAY), "index": 0},
        {"start": _z(monday), "end": _z(CLOSES + 7 * DAY), "index": 1},
    ]
    calendar = api.reader.post("/api/v1/rotations/preview", json=body | {"turns": "calendar"})
    assert calendar.json()["handoffs"] == [_z(OPENS + 5 * DAY), _z(OPENS + 6 * DAY)]
    assert calendar.json()["intervals"] == found["intervals"][:1]
    bad = api.reader.post(
        "/api/v1/rotations/preview",
        json=body | {"active_hours": [{"days": ["xyz"]}]},
    )
    assert bad.status_code == 422
    fields = [e["field"] for e in bad.json()["errors"]]
    assert fields == ["active_hours[0].days", "active_hours[0].from", "active_hours[0].to"]


def test_the_feed_has_one_event_per_on_call_interval(api: Api) -> None:
    _, ann, _ = _weekdays(api)
    response = api.reader.get(f"/api/v1/users/{ann}/calendar.ics")
    assert response.status_code == 200, response.text
    events = list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))
    found = sorted((e.decoded("dtstart"), e.decoded("dtend")) for e in events)
    # Ann on Mondays, Wednesdays and Fridays of the first week, each 09:00-17:00 Berlin
    assert found[:3] == [
        (T0, CLOSES),
        (OPENS + 2 * DAY, CLOSES + 2 * DAY),
        (OPENS + 4 * DAY, CLOSES + 4 * DAY),
    ]
    assert all(end - start <= 8 * HOUR for start, end in found)  # never across inactive time


def test_handoffs_list_turn_passes_outside_the_hours_too(api: Api) -> None:
    """A daily rotation anchored at midnight passes its turn at 00:00, when nobody is on call:
    /handoffs still lists each pass and whose turn begins."""
    ann, bob = api.user("Ann"), api.user("Bob")
    body = api.rotation(
        "midnight", [ann, bob], start="2026-03-02T00:00:00+01:00", active_hours=BUSINESS
    )
    midnight = OPENS - 9 * HOUR + DAY  # Tuesday 00:00 in Berlin
    found = api.reader.get(f"/api/v1/rotations/{body['id']}/handoffs", params={"count": 3})
    assert found.json()["items"] == [
        {"at": _z(midnight), "user_id": bob},
        {"at": _z(midnight + DAY), "user_id": ann},
        {"at": _z(midnight + 2 * DAY), "user_id": bob},
    ]
