"""Projections and history: handoffs, shifts, history, on call, preview and the calendar.

Future answers must equal the pure core's projection; past answers must come from what was
recorded. The engine is stood in for by the same lock -> rules -> save path it uses.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import icalendar
from psycopg import AsyncConnection

from handoff.grid import Grid
from handoff.store import state

from .conftest import T0, Api

MISSING = "00000000-0000-4000-8000-000000000000"
BERLIN_DAILY = Grid("daily", 1, datetime(2026, 3, 1, 8, tzinfo=UTC), "Europe/Berlin")


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _engine(url: str, rotation_id: str) -> None:
    """What the queue engine does to one rotation (engine.md): the write path with no edit."""
    async with await AsyncConnection.connect(url) as conn:
        assert await state.write(conn, UUID(rotation_id), engine="queue") is not None


def _cursor(key: list[object]) -> str:
    """A cursor as the API encodes one, with a key it never issued."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def run_engine(api: Api, rotation_id: str, now: datetime) -> None:
    """The engine's update of one rotation with the engine's clock at `now`."""
    api.clock.set(now)
    asyncio.run(_engine(api.db_url, rotation_id))


def test_next_handoffs(api: Api) -> None:
    ann, bob, cid = api.user("Ann"), api.user("Bob"), api.user("Cid")
    rotation = api.rotation("primary", [ann, bob, cid])
    path = f"/api/v1/rotations/{rotation['id']}/handoffs"
    default = api.reader.get(path).json()["items"]
    expected = BERLIN_DAILY.next_handoffs(T0, 5)
    assert default == [
        {"at": _z(expected[0]), "user_id": bob},
        {"at": _z(expected[1]), "user_id": cid},
        {"at": _z(expected[2]), "user_id": ann},
    ]
    five = api.reader.get(path, params={"count": 5}).json()["items"]
    assert [h["at"] for h in five] == [_z(t) for t in expected]
    for bad in (0, 51, "x"):
        assert api.reader.get(path, params={"count": bad}).status_code == 422
    assert api.reader.get(f"/api/v1/rotations/{MISSING}/handoffs").status_code == 404
    empty = api.rotation("empty")
    assert api.reader.get(f"/api/v1/rotations/{empty['id']}/handoffs").json() == {"items": []}


def test_future_shifts_are_the_projection(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    path = f"/api/v1/rotations/{rotation['id']}/shifts"
    since, until = T0 + timedelta(days=2), T0 + timedelta(days=5)
    items = api.reader.get(path, params={"since": _z(since), "until": _z(until)}).json()["items"]
    boundaries = [BERLIN_DAILY.end_time(T0)]
    while boundaries[-1] < until:
        boundaries.append(BERLIN_DAILY.end_time(boundaries[-1]))
    users = [ann, bob]
    projected = [
        {"user_id": users[(i + 1) % 2], "start": _z(a), "end": _z(b), "override_id": None}
        for i, (a, b) in enumerate(itertools.pairwise(boundaries))
    ]
    assert items == [s for s in projected if _t(s["end"]) > since and _t(s["start"]) < until]
    # default window: from now, 7 days; the current shift starts when it was recorded
    default = api.reader.get(path).json()["items"]
    assert default[0] == {
        "user_id": ann,
        "start": _z(T0),
        "end": _z(boundaries[0]),
        "override_id": None,
    }
    assert _t(default[-1]["end"]) >= T0 + timedelta(days=7)


def test_past_shifts_are_the_recorded_history(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    first, second = BERLIN_DAILY.next_handoffs(T0, 2)
    later = second + timedelta(hours=1)
    run_engine(api, rotation["id"], later)  # crosses two boundaries: bob, then ann
    api.clock.set(later + timedelta(hours=2))
    manual_at = api.clock.now()
    api.admin.patch(f"/api/v1/rotations/{rotation['id']}", json={"active_index": 1})
    items = api.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0 - timedelta(days=1)), "until": _z(manual_at + timedelta(hours=1))},
    ).json()["items"]
    assert [{k: v for k, v in i.items() if k != "override_id"} for i in items] == [
        {"user_id": ann, "start": _z(T0), "end": _z(first)},
        {"user_id": bob, "start": _z(first), "end": _z(second)},
        {"user_id": ann, "start": _z(second), "end": _z(manual_at)},
        {"user_id": bob, "start": _z(manual_at), "end": _z(BERLIN_DAILY.end_time(second))},
    ]
    assert all(i["override_id"] is None for i in items)


def test_shift_window_is_checked(api: Api) -> None:
    rotation = api.rotation("primary", [api.user()])
    path = f"/api/v1/rotations/{rotation['id']}/shifts"
    too_long = {"since": _z(T0), "until": _z(T0 + timedelta(days=367))}
    backwards = {"since": _z(T0), "until": _z(T0 - timedelta(hours=1))}
    for params in (too_long, backwards, {"since": "yesterday"}, {"until": "2026-03-01T00:00"}):
        response = api.reader.get(path, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] in ("since", "until")
    full_year = {"since": _z(T0), "until": _z(T0 + timedelta(days=366))}
    # the current partial shift, 365 whole days, and the one the window ends in
    assert len(api.reader.get(path, params=full_year).json()["items"]) == 367
    # Seven thousand years ahead: the projection skips to the window (its boundaries counted,
    # not crossed) and answers its shifts whole.
    far_since = datetime(8990, 1, 1, tzinfo=UTC)
    far = {"since": _z(far_since), "until": _z(far_since + timedelta(days=1))}
    far_items = api.reader.get(path, params=far).json()["items"]
    first_far = BERLIN_DAILY.start_time(far_since)
    assert [(i["start"], i["end"]) for i in far_items] == [
        (_z(first_far), _z(BERLIN_DAILY.end_time(first_far))),
        (_z(BERLIN_DAILY.end_time(first_far)), _z(BERLIN_DAILY.next_handoffs(first_far, 2)[1])),
    ]
    assert api.reader.get(f"/api/v1/rotations/{MISSING}/shifts").status_code == 404


def test_history_newest_first_with_window_and_cursor(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    boundaries = BERLIN_DAILY.next_handoffs(T0, 4)
    run_engine(api, rotation["id"], boundaries[-1])
    path = f"/api/v1/rotations/{rotation['id']}/history"
    items = api.reader.get(path).json()["items"]
    assert [i["boundary_at"] for i in items] == [_z(b) for b in reversed(boundaries)] + [_z(T0)]
    assert items[0] == {
        "boundary_at": _z(boundaries[3]),
        "processed_at": _z(boundaries[3]),
        "cause": "boundary",
        "effective": True,
        "from_user_id": bob,  # the fourth boundary: ann -> bob -> ann -> bob -> ann
        "to_user_id": ann,
        "override_id": None,
        "change_id": None,
        "made_by": None,  # the engine's: nobody made it
    }
    assert items[-1]["cause"] == "started" and items[-1]["from_user_id"] is None
    window = api.reader.get(
        path, params={"since": _z(boundaries[1]), "until": _z(boundaries[3])}
    ).json()["items"]
    assert [i["boundary_at"] for i in window] == [_z(boundaries[2]), _z(boundaries[1])]
    page = api.reader.get(path, params={"limit": 2}).json()
    rest = api.reader.get(path, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert page["items"] + rest["items"] == items[:4]
    assert api.reader.get(f"/api/v1/rotations/{MISSING}/history").status_code == 404
    for cursor in ("WzEsMl0", _cursor([_z(T0), 2**63]), _cursor(["0001-01-01T00:00:00", 1])):
        assert api.reader.get(path, params={"cursor": cursor}).status_code == 422, cursor


def test_oncall_now_future_and_past(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    primary = api.rotation("primary", [ann, bob])
    solo = api.rotation("solo", [bob], type="weekly")
    api.rotation("nobody")
    first = BERLIN_DAILY.end_time(T0)
    now = api.reader.get("/api/v1/oncall").json()["items"]
    assert {(o["rotation_id"], o["user_id"]) for o in now} == {
        (primary["id"], ann),
        (solo["id"], bob),
    }
    assert next(o for o in now if o["rotation_id"] == primary["id"])["shift_end"] == _z(first)
    future = api.reader.get(
        "/api/v1/oncall",
        params={"at": _z(first + timedelta(hours=1)), "rotation_id": primary["id"]},
    ).json()["items"]
    assert future == [
        {
            "rotation_id": primary["id"],
            "user_id": bob,
            "shift_start": _z(first),
            "shift_end": _z(BERLIN_DAILY.end_time(first)),
            "override_id": None,
        }
    ]
    run_engine(api, primary["id"], first + timedelta(days=1, hours=1))
    api.clock.set(first + timedelta(days=1, hours=2))
    past = api.reader.get(
        "/api/v1/oncall",
        params={"at": _z(first + timedelta(hours=1)), "rotation_id": primary["id"]},
    ).json()["items"]
    assert past == future  # recorded exactly as projected
    bobs = api.reader.get("/api/v1/oncall", params={"user_id": ann}).json()["items"]
    assert [o["rotation_id"] for o in bobs] == [primary["id"]]
    assert api.reader.get("/api/v1/oncall", params={"rotation_id": MISSING}).status_code == 404
    assert api.reader.get("/api/v1/oncall", params={"at": "soon"}).status_code == 422


def test_preview_is_the_grid(api: Api) -> None:
    body = {
        "type": "monthly",
        "shift_length": 1,
        "start": "2026-01-31T10:00:00+09:00",
        "time_zone": "Asia/Tokyo",
        "from": "2026-02-01T00:00:00Z",
        "count": 4,
    }
    response = api.reader.post("/api/v1/rotations/preview", json=body)
    assert response.status_code == 200
    grid = Grid("monthly", 1, _t(body["start"]), "Asia/Tokyo")
    expected = grid.next_handoffs(_t(body["from"]), 4)
    assert response.json()["handoffs"] == [_z(t) for t in expected]
    # always active: one interval per turn, from `from` to the last handoff without a gap
    assert [i["index"] for i in response.json()["intervals"]] == [0, 1, 2, 3]
    assert [i["end"] for i in response.json()["intervals"]] == [_z(t) for t in expected]
    assert response.json()["handoffs"][0] == "2026-02-28T01:00:00Z"  # clamped to Feb 28
    without_from = dict(body)
    del without_from["from"]
    default = api.reader.post("/api/v1/rotations/preview", json=without_from).json()
    assert default["handoffs"] == [_z(t) for t in grid.next_handoffs(T0, 4)]
    for change, field in (
        ({"count": 0}, "count"),
        ({"count": 51}, "count"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"shift_length": 9001}, "shift_length"),
    ):
        bad = api.reader.post("/api/v1/rotations/preview", json=body | change)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == field
    assert api.sql("SELECT count(*) AS n FROM rotations")[0]["n"] == 0


def test_calendar_feed_matches_shifts(api: Api) -> None:
    ann, bob = api.user("Ann Example"), api.user("Bob Example")
    rotation = api.rotation("primary", [ann, bob], type="hourly", shift_length=8)
    response = api.anonymous.get(
        f"/api/v1/rotations/{rotation['id']}/calendar.ics", params={"token": api.reader_token}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    shifts = api.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0), "until": _z(T0 + timedelta(days=90))},
    ).json()["items"]
    assert len(events) == len(shifts) == 271  # 8-hour shifts over 90 days, from a partial one
    names = {ann: "Ann Example", bob: "Bob Example"}
    for event, shift in zip(events, shifts, strict=True):
        assert _z(event.decoded("dtstart")) == shift["start"]
        assert _z(event.decoded("dtend")) == shift["end"]
        assert names[shift["user_id"]] in str(event.get("summary"))
    assert len({str(e.get("uid")) for e in events}) == len(events)
    missing = api.reader.get(f"/api/v1/rotations/{MISSING}/calendar.ics")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
