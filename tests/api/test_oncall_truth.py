"""Issue 20: one on-call truth. Each test here failed on the code before it (one per defect):
a write records its own on-call change in its own transaction, at the request's instant and
never backdated; "now" is not rounded to a minute; the past is the record."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from handoff.store import rotations
from handoff.web import oncall_view

from .conftest import T0, Api
from .test_overrides import H, _add, _path, _z, oc, set_now

__all__ = ["oc"]  # the fixture, used by name
MIN = timedelta(minutes=1)


def _edges(api: Api, override_id: str) -> list[tuple[datetime, datetime, str, str]]:
    rows = api.sql(
        "SELECT boundary_at, processed_at, cause, engine FROM handoffs WHERE override_id = %s"
        " ORDER BY boundary_at, id",
        override_id,
    )
    return [(r["boundary_at"], r["processed_at"], r["cause"], r["engine"]) for r in rows]


def _rotation(api: Api) -> tuple[str, str, dict[str, Any]]:
    ann, bo = api.user("Ann"), api.user("Bo")
    return ann, bo, api.rotation("primary", [ann])


def test_an_override_edited_into_force_is_recorded_by_that_edit(oc: Api) -> None:
    """Defect 2: PATCHing a future override's start to now puts the person on call and
    records it then, in the edit's transaction (no engine run)."""
    _, bo, rotation = _rotation(oc)
    future = _add(oc, rotation, T0 + 3 * H, T0 + 4 * H, user_id=bo)
    now = T0 + 10 * MIN + timedelta(seconds=7)
    set_now(oc, now)
    edited = oc.admin.patch(_path(rotation, future["id"]), json={"start": _z(T0 + 10 * MIN)})
    assert edited.status_code == 200, edited.text
    assert edited.json()["start"] == _z(now)  # in force from this request
    assert _edges(oc, future["id"]) == [(now, now, "override_started", "api")]
    assert oc.reader.get(f"/api/v1/rotations/{rotation['id']}").json()["on_call_user_id"] == bo


def test_an_override_edited_into_force_after_the_last_run_is_not_backdated(oc: Api) -> None:
    """Defect 2: a start typed before now, after the rotation's last catch-up, is recorded
    at the edit, not at the typed start."""
    _, bo, rotation = _rotation(oc)
    future = _add(oc, rotation, T0 + 3 * H, T0 + 4 * H, user_id=bo)
    set_now(oc, T0 + 2 * H)  # no engine run since T0
    edited = oc.admin.patch(_path(rotation, future["id"]), json={"start": _z(T0 + H)})
    assert edited.status_code == 200, edited.text
    assert _edges(oc, future["id"]) == [(T0 + 2 * H, T0 + 2 * H, "override_started", "api")]


def test_end_now_ends_at_the_request_and_a_new_override_may_start_there(oc: Api) -> None:
    """Defect 3: DELETE of an override in force ends it at the request's instant; an
    override typed to start in this minute is then not a 409."""
    ann, bo, rotation = _rotation(oc)
    cover = _add(oc, rotation, T0, T0 + 2 * H, user_id=bo)
    now = T0 + 10 * MIN + timedelta(seconds=5)
    set_now(oc, now)
    assert oc.admin.delete(_path(rotation, cover["id"])).status_code == 204
    assert oc.reader.get(_path(rotation, cover["id"])).json()["end"] == _z(now)
    path = f"/api/v1/rotations/{rotation['id']}"
    assert oc.reader.get(path).json()["on_call_user_id"] == ann
    again = _add(oc, rotation, T0 + 10 * MIN, T0 + H, user_id=bo)
    assert again["start"] == _z(now)
    assert _edges(oc, cover["id"])[-1] == (now, now, "override_ended", "api")
    assert _edges(oc, again["id"]) == [(now, now, "override_started", "api")]
    assert oc.reader.get(path).json()["on_call_user_id"] == bo


def test_writes_record_their_own_change_and_schedule_the_rotation(oc: Api) -> None:
    """Defect 5: an override made in force is on the timeline when the POST returns, and a
    scheduled change sets the rotation's next run in its own transaction."""
    _, bo, rotation = _rotation(oc)
    cover = _add(oc, rotation, T0 - H, T0 + H, user_id=bo)
    assert _edges(oc, cover["id"]) == [(T0, T0, "override_started", "api")]
    soon = T0 + 2 * H
    made = oc.admin.post(
        f"/api/v1/rotations/{rotation['id']}/changes",
        json={"effective_at": _z(soon), "changes": {"shift_length": 2}},
    )
    assert made.status_code == 201, made.text
    schedule = oc.sql(
        "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", rotation["id"]
    )
    assert schedule == [{"next_run_at": T0 + H}]  # the override's end, then the change
    oc.admin.patch(_path(rotation, cover["id"]), json={"end": _z(T0 + 3 * H)})
    schedule = oc.sql(
        "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", rotation["id"]
    )
    assert schedule == [{"next_run_at": soon}]


def test_the_past_shows_an_override_from_when_it_was_recorded(oc: Api) -> None:
    """Defect 4: an override made in force covers the past only from when it was made
    (when anyone was told), on /shifts as in the history."""
    ann, bo, rotation = _rotation(oc)
    made_at = T0 + 10 * MIN
    set_now(oc, made_at)
    cover = _add(oc, rotation, T0 - H, T0 + H, user_id=bo)
    set_now(oc, T0 + 30 * MIN)
    items = oc.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0 - 2 * H), "until": _z(T0 + 2 * H)},
    ).json()["items"]
    covering = [i for i in items if i["override_id"] == cover["id"]]
    assert [(i["user_id"], i["start"], i["end"]) for i in covering] == [
        (bo, _z(made_at), _z(T0 + H))
    ]
    before = [i for i in items if i["end"] == _z(made_at)]
    assert [i["user_id"] for i in before] == [ann]


def test_deleting_a_user_keeps_the_past_they_covered(oc: Api) -> None:
    """Defect 7: an ended override of a deleted user is history: it stays, and the past
    still shows them on call, by the name recorded; the row of the deletion is written
    from the rotation as it is after catching up (its "to" is who is on call then)."""
    ann, bo, rotation = _rotation(oc)
    cy = oc.user("Cy")
    oc.admin.patch(f"/api/v1/rotations/{rotation['id']}", json={"participants": [ann, cy]})
    past = _add(oc, rotation, T0 + H, T0 + 2 * H, user_id=bo)
    in_force = _add(oc, rotation, T0 + 3 * H, T0 + 30 * H, user_id=bo)
    boundary = datetime(2026, 3, 3, 8, tzinfo=T0.tzinfo)  # 09:00 in Berlin
    deleted_at = boundary + 2 * H
    set_now(oc, deleted_at)  # no engine run since T0: the boundary to Cy is caught up first
    assert oc.admin.delete(f"/api/v1/users/{bo}").status_code == 204
    assert oc.reader.get(_path(rotation, past["id"])).json()["user_id"] == bo
    assert oc.reader.get(_path(rotation, in_force["id"])).json()["end"] == _z(deleted_at)
    deletion = oc.sql(
        "SELECT to_user_name, on_call_user_name FROM handoffs"
        " WHERE rotation_id = %s AND cause = 'user_deleted'",
        rotation["id"],
    )
    assert deletion == [{"to_user_name": "Cy", "on_call_user_name": "Cy"}]
    items = oc.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0), "until": _z(deleted_at + H)},
    ).json()["items"]
    assert [(i["user_id"], i["start"], i["end"]) for i in items] == [
        (ann, _z(T0), _z(T0 + H)),
        (bo, _z(T0 + H), _z(T0 + 2 * H)),
        (ann, _z(T0 + 2 * H), _z(T0 + 3 * H)),
        (bo, _z(T0 + 3 * H), _z(boundary)),  # split at the boundary recorded under it
        (bo, _z(boundary), _z(deleted_at)),
        (cy, _z(deleted_at), _z(datetime(2026, 3, 4, 8, tzinfo=T0.tzinfo))),
    ]


def test_the_web_list_and_the_plans_show_the_effective_truth(oc: Api) -> None:
    """Defect 6: the rotation list (the web's) read the stored state alone and showed Ann
    under Bo's override. Issue 23 item 4: a conditional override whose person is not on
    call is marked as deciding nothing, and does not split the shifts."""
    ann, bo, rotation = _rotation(oc)
    cy = oc.user("Cy")
    _add(oc, rotation, T0 - H, T0 + H, user_id=bo)
    idle = _add(oc, rotation, T0 + 2 * H, T0 + 4 * H, user_id=bo, replaces_user_id=cy)
    live = _add(oc, rotation, T0 + 5 * H, T0 + 6 * H, user_id=cy, replaces_user_id=ann)

    async def read() -> tuple[Any, Any]:
        async with await AsyncConnection.connect(oc.db_url) as conn:
            listed = await rotations.list_rotations(conn, now=T0, limit=10)
            found = await rotations.get(conn, UUID(rotation["id"]), now=T0)
            return listed.items, await oncall_view.plans(conn, found, T0)

    listed, plans = asyncio.run(read())
    assert [(r.on_call_user_id, r.rotation_on_call_user_id) for r in listed] == [
        (UUID(bo), UUID(ann))
    ]
    marks = {str(row.override.id): row.not_in_effect for row in plans.overrides}
    assert marks[idle["id"]] == "not in effect: Cy is not on call then"
    assert marks[live["id"]] is None
    items = oc.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0 + H), "until": _z(T0 + 5 * H)},
    ).json()["items"]
    assert [(i["user_id"], i["start"], i["end"]) for i in items] == [
        (ann, _z(T0 + H), _z(T0 + 5 * H))  # not split at the idle override's edges
    ]


def test_a_row_written_by_plain_sql_reads_as_its_own_person(oc: Api) -> None:
    """A history row written around the write path (the GoAlert import's `imported`) names
    only its own persons: the past reads them as on call."""
    ann, bo, rotation = _rotation(oc)
    oc.sql(
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " to_user_id, to_user_name) VALUES (%s, %s, %s, 'imported', 'api', %s, 'Bo')",
        rotation["id"],
        T0 - 2 * H,
        T0 - 2 * H,
        bo,
    )
    items = oc.reader.get(
        f"/api/v1/rotations/{rotation['id']}/shifts",
        params={"since": _z(T0 - 2 * H), "until": _z(T0 + H)},
    ).json()["items"]
    assert [(i["user_id"], i["start"]) for i in items] == [(bo, _z(T0 - 2 * H)), (ann, _z(T0))]
