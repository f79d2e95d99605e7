"""A schedule's iCalendar feed (`/schedules/{id}/calendar.ics`: its final intervals, as a
rotation's feed holds its shifts) and the rotation object's `schedule_ids` (schedules.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import icalendar

from .conftest import T0, Api
from .test_overrides import _z, set_now
from .test_schedules import MISSING, _schedule

DAY = timedelta(days=1)


def test_a_schedules_feed_holds_its_final_intervals(api: Api) -> None:
    set_now(api, T0)
    ann, bo = api.user("Ann Example"), api.user("Bo Example")
    primary = api.rotation("primary", [ann, bo])
    secondary = api.rotation("secondary", [bo], type="weekly")
    both = _schedule(api, "Payments", [primary["id"], secondary["id"]], combine="union")
    nobody = {"start": _z(T0 + 2 * DAY), "end": _z(T0 + 2 * DAY + timedelta(hours=3))}
    cover = api.admin.post(
        f"/api/v1/schedules/{both['id']}/overrides", json=nobody | {"user_id": None}
    )
    assert cover.status_code == 201, cover.text
    feed = api.anonymous.get(
        f"/api/v1/schedules/{both['id']}/calendar.ics", params={"token": api.reader_token}
    )
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert str(calendar.get("x-wr-calname")) == "Payments on call"
    events = list(calendar.walk("VEVENT"))
    shifts = api.reader.get(
        f"/api/v1/schedules/{both['id']}/shifts",
        params={"since": _z(T0), "until": _z(T0 + 90 * DAY)},
    ).json()
    staffed = [s for s in shifts if s["user_ids"]]
    assert len(staffed) == len(shifts) - 1  # the override's three hours with nobody: no event
    assert len(events) == len(staffed) > 1
    names = {ann: "Ann Example", bo: "Bo Example"}
    for event, shift in zip(events, staffed, strict=True):
        assert _z(event.decoded("dtstart")) == shift["start"]
        assert _z(event.decoded("dtend")) == shift["end"]
        who = ", ".join(names[u] for u in shift["user_ids"])
        assert str(event.get("summary")) == f"{who} on call (Payments)"
    assert "Ann Example, Bo Example on call (Payments)" in {str(e.get("summary")) for e in events}
    assert len({str(e.get("uid")) for e in events}) == len(events)
    missing = api.reader.get(f"/api/v1/schedules/{MISSING}/calendar.ics")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def _ids(rotation: dict[str, Any]) -> list[str]:
    ids: list[str] = rotation["schedule_ids"]
    return ids


def test_a_rotation_lists_the_schedules_it_is_a_layer_of(api: Api) -> None:
    set_now(api, T0)
    ann = api.user("Ann")
    primary = api.rotation("primary", [ann])
    alone = api.rotation("alone", [ann])
    assert _ids(primary) == []
    one = _schedule(api, "One", [primary["id"]])
    two = _schedule(api, "Two", [alone["id"], primary["id"]])
    got = api.reader.get(f"/api/v1/rotations/{primary['id']}").json()
    assert sorted(_ids(got)) == sorted([one["id"], two["id"]])
    listed = {r["name"]: r for r in api.reader.get("/api/v1/rotations").json()["items"]}
    assert sorted(_ids(listed["primary"])) == sorted([one["id"], two["id"]])
    assert _ids(listed["alone"]) == [two["id"]]
    patched = api.admin.patch(f"/api/v1/rotations/{alone['id']}", json={"description": "x"})
    assert _ids(patched.json()) == [two["id"]]
    removed = api.admin.patch(f"/api/v1/schedules/{two['id']}", json={"layers": [primary["id"]]})
    assert removed.status_code == 200, removed.text
    assert _ids(api.reader.get(f"/api/v1/rotations/{alone['id']}").json()) == []
