"""Every answer to "who is on call when" includes overrides and pending scheduled changes:
the rotation object, /oncall, /shifts, /handoffs, the calendar feed and the history items."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import icalendar
from psycopg import AsyncConnection

from handoff.store import state

from .conftest import T0, Api
from .test_overrides import set_now

H = timedelta(hours=1)
DAY1 = datetime(2026, 3, 3, 8, tzinfo=UTC)  # the first boundary after T0 (09:00 in Berlin)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY2 + timedelta(days=1)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _setup(api: Api) -> tuple[dict[str, str], dict[str, Any], str, str]:
    """Ann on call from T0, then Bo at DAY1; Cy covers T0+1h..T0+3h; nobody DAY1+2h..+4h."""
    set_now(api, T0)
    people = {name: api.user(name) for name in ("Ann", "Bo", "Cy")}
    rotation = api.rotation("primary", [people["Ann"], people["Bo"]])
    path = f"/api/v1/rotations/{rotation['id']}/overrides"
    covers = api.admin.post(
        path, json={"start": _z(T0 + H), "end": _z(T0 + 3 * H), "user_id": people["Cy"]}
    )
    nobody = api.admin.post(
        path, json={"start": _z(DAY1 + 2 * H), "end": _z(DAY1 + 4 * H), "user_id": None}
    )
    assert covers.status_code == nobody.status_code == 201
    return people, rotation, covers.json()["id"], nobody.json()["id"]


def test_the_rotation_object_names_the_effective_and_the_own_person(api: Api) -> None:
    people, rotation, covers, _ = _setup(api)
    path = f"/api/v1/rotations/{rotation['id']}"
    before = api.reader.get(path).json()
    assert (before["on_call_user_id"], before["rotation_on_call_user_id"]) == (
        people["Ann"],
        people["Ann"],
    )
    assert before["override_id"] is None
    set_now(api, T0 + 2 * H)
    during = api.reader.get(path).json()
    assert during["on_call_user_id"] == people["Cy"]
    assert during["rotation_on_call_user_id"] == people["Ann"]
    assert during["override_id"] == covers
    assert during["active_index"] == 0  # the rotation itself did not move
    listed = api.reader.get("/api/v1/rotations").json()["items"]
    assert [r["on_call_user_id"] for r in listed] == [people["Cy"]]
    # a conditional override applies only while its person is the rotation's own
    other = api.rotation("secondary", [people["Ann"]])
    response = api.admin.post(
        f"/api/v1/rotations/{other['id']}/overrides",
        json={
            "start": _z(T0 + H),
            "end": _z(T0 + 3 * H),
            "user_id": people["Cy"],
            "replaces_user_id": people["Bo"],
        },
    )
    assert response.status_code == 201
    unaffected = api.reader.get(f"/api/v1/rotations/{other['id']}").json()
    assert unaffected["on_call_user_id"] == people["Ann"] and unaffected["override_id"] is None


def test_oncall_at_any_time_applies_overrides(api: Api) -> None:
    people, rotation, covers, _ = _setup(api)

    def at(when: datetime) -> list[dict[str, Any]]:
        response = api.reader.get(
            "/api/v1/oncall", params={"at": _z(when), "rotation_id": rotation["id"]}
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    assert [(o["user_id"], o["override_id"]) for o in at(T0)] == [(people["Ann"], None)]
    assert at(T0 + 2 * H) == [
        {
            "rotation_id": rotation["id"],
            "user_id": people["Cy"],
            "shift_start": _z(T0 + H),
            "shift_end": _z(T0 + 3 * H),
            "override_id": covers,
        }
    ]
    assert at(DAY1 + 3 * H) == []  # nobody is on call
    assert [o["user_id"] for o in at(DAY1 + 5 * H)] == [people["Bo"]]
    # Far ahead the projection jumps to the shift (its boundaries counted, not crossed): the
    # daily handoffs at 09:00 in Berlin alternate Bo (DAY1), Ann, Bo, ... every day.
    far = datetime(2300, 6, 15, 12, tzinfo=UTC)
    crossed = (far.date() - DAY1.date()).days + 1
    assert at(far) == [
        {
            "rotation_id": rotation["id"],
            "user_id": people["Bo" if crossed % 2 else "Ann"],
            "shift_start": _z(datetime(2300, 6, 15, 7, tzinfo=UTC)),  # 09:00 summer time
            "shift_end": _z(datetime(2300, 6, 16, 7, tzinfo=UTC)),
            "override_id": None,
        }
    ]
    mine = api.reader.get("/api/v1/oncall", params={"at": _z(T0 + 2 * H), "user_id": people["Cy"]})
    assert [o["override_id"] for o in mine.json()["items"]] == [covers]


def test_shifts_are_split_at_override_edges(api: Api) -> None:
    people, rotation, covers, nobody = _setup(api)
    items = api.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0), "until": _z(DAY2)},
    ).json()["items"]
    ann, bo, cy = people["Ann"], people["Bo"], people["Cy"]
    assert [(i["user_id"], i["start"], i["end"], i["override_id"]) for i in items] == [
        (ann, _z(T0), _z(T0 + H), None),
        (cy, _z(T0 + H), _z(T0 + 3 * H), covers),
        (ann, _z(T0 + 3 * H), _z(DAY1), None),
        (bo, _z(DAY1), _z(DAY1 + 2 * H), None),
        (None, _z(DAY1 + 2 * H), _z(DAY1 + 4 * H), nobody),
        (bo, _z(DAY1 + 4 * H), _z(DAY2), None),
    ]


def test_handoffs_apply_pending_changes_and_ignore_overrides(api: Api) -> None:
    people, rotation, _, _ = _setup(api)
    ann, bo, cy = people["Ann"], people["Bo"], people["Cy"]
    path = f"/api/v1/rotations/{rotation['id']}"

    def handoffs() -> list[tuple[str, str]]:
        items = api.reader.get(f"{path}/handoffs", params={"count": 3}).json()["items"]
        return [(h["at"], h["user_id"]) for h in items]

    assert handoffs() == [(_z(DAY1), bo), (_z(DAY2), ann), (_z(DAY3), bo)]
    # Bo is on call when the change removes him: the participant at his old index takes over
    change = api.admin.post(
        f"{path}/changes",
        json={"effective_at": _z(DAY1 + 4 * H), "changes": {"participants": [ann, cy]}},
    )
    assert change.status_code == 201, change.text
    assert handoffs() == [(_z(DAY1), bo), (_z(DAY1 + 4 * H), cy), (_z(DAY2), ann)]
    shifts = api.reader.get(
        f"{path}/shifts", params={"since": _z(DAY1 + 5 * H), "until": _z(DAY1 + 6 * H)}
    ).json()["items"]
    assert [(s["user_id"], s["start"]) for s in shifts] == [(cy, _z(DAY1 + 4 * H))]


def test_the_calendar_feed_shows_covers_and_leaves_out_nobody(api: Api) -> None:
    _, rotation, _, _ = _setup(api)
    feed = api.reader.get(f"/api/v1/rotations/{rotation['id']}/calendar.ics")
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    summaries = {e.decoded("dtstart").astimezone(UTC): str(e.get("summary")) for e in events}
    assert summaries[T0 + H] == "Cy on call (primary, covering)"
    assert summaries[T0] == "Ann on call (primary)"
    assert DAY1 + 2 * H not in summaries  # nobody on call: no event
    assert summaries[DAY1 + 4 * H] == "Bo on call (primary)"


def test_history_items_carry_cause_effective_and_override(api: Api) -> None:
    people, rotation, covers, _ = _setup(api)
    set_now(api, T0 + 2 * H)
    assert api.admin.delete(f"/api/v1/users/{people['Cy']}").status_code == 204
    items = api.reader.get(f"/api/v1/rotations/{rotation['id']}/history").json()["items"]
    deleted = [i for i in items if i["cause"] == "user_deleted"]
    assert deleted == [
        {
            "boundary_at": _z(T0 + 2 * H),
            "processed_at": _z(T0 + 2 * H),
            "cause": "user_deleted",
            "effective": True,
            "from_user_id": people["Cy"],
            "to_user_id": people["Ann"],
            "override_id": covers,
            "change_id": None,
            "made_by": "test-admin",  # the deletion's writer (people.md)
        }
    ]


def test_a_conditional_override_covers_only_its_person(api: Api) -> None:
    """Cy replaces Ann from two hours before the boundary to two hours after it: Cy covers
    until the boundary; after it Bo is the rotation's own person and the override does not apply."""
    set_now(api, T0)
    people = {name: api.user(name) for name in ("Ann", "Bo", "Cy")}
    rotation = api.rotation("primary", [people["Ann"], people["Bo"]])
    path = f"/api/v1/rotations/{rotation['id']}"
    response = api.admin.post(
        f"{path}/overrides",
        json={
            "start": _z(DAY1 - 2 * H),
            "end": _z(DAY1 + 2 * H),
            "user_id": people["Cy"],
            "replaces_user_id": people["Ann"],
        },
    )
    assert response.status_code == 201
    cover = response.json()["id"]
    items = api.reader.get(
        f"{path}/shifts", params={"since": _z(DAY1 - 3 * H), "until": _z(DAY1 + 3 * H)}
    ).json()["items"]
    assert [(i["user_id"], i["start"], i["end"], i["override_id"]) for i in items] == [
        (people["Ann"], _z(T0), _z(DAY1 - 2 * H), None),
        (people["Cy"], _z(DAY1 - 2 * H), _z(DAY1), cover),
        # the override ends where it decides nothing: no split (issue 23 item 4)
        (people["Bo"], _z(DAY1), _z(DAY2), None),
    ]


async def _engine(url: str, rotation_id: str) -> None:
    async with await AsyncConnection.connect(url) as conn:
        assert await state.write(conn, UUID(rotation_id), engine="queue") is not None


def test_past_shifts_read_the_recorded_timeline_with_its_overrides(api: Api) -> None:
    """The engine recorded Cy's cover (its edges, as override rows) and then the boundary:
    the past is read from those rows, the override's person while it decided."""
    people, rotation, covers, _ = _setup(api)
    for at, cause, to, deciding in (
        (T0 + H, "override_started", "Cy", covers),
        (T0 + 3 * H, "override_ended", "Ann", None),
    ):
        api.sql(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " override_id, to_user_id, to_user_name, on_call_user_id, on_call_user_name,"
            " on_call_override_id) VALUES (%s, %s, %s, %s, 'queue', %s, %s, %s, %s, %s, %s)",
            rotation["id"],
            at,
            at,
            cause,
            covers,
            people[to],
            to,
            people[to],
            to,
            deciding,
        )
    set_now(api, DAY1 + H)
    asyncio.run(_engine(api.db_url, rotation["id"]))  # crosses the boundary at DAY1: Bo
    items = api.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0), "until": _z(DAY1 + H)},
    ).json()["items"]
    assert [(i["user_id"], i["start"], i["end"], i["override_id"]) for i in items] == [
        (people["Ann"], _z(T0), _z(T0 + H), None),
        (people["Cy"], _z(T0 + H), _z(T0 + 3 * H), covers),
        (people["Ann"], _z(T0 + 3 * H), _z(DAY1), None),
        (people["Bo"], _z(DAY1), _z(DAY1 + 2 * H), None),
    ]
