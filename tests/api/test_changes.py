"""/api/v1/rotations/{id}/changes: scheduled changes, validated against the rotation as it
will be at their instant; 409 for two at one instant and for what has taken effect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import T0, Api
from .test_overrides import MISSING, set_now

DAY = timedelta(days=1)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def oc(api: Api) -> Api:
    set_now(api, T0)
    return api


def _path(rotation: dict[str, Any], change_id: str | None = None) -> str:
    base = f"/api/v1/rotations/{rotation['id']}/changes"
    return base if change_id is None else f"{base}/{change_id}"


def _add(api: Api, rotation: dict[str, Any], at: datetime, **changes: Any) -> Any:
    response = api.admin.post(_path(rotation), json={"effective_at": _z(at), "changes": changes})
    assert response.status_code == 201, response.text
    return response.json()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in _problem(response, 422)["errors"]]


def test_create_and_get(oc: Api) -> None:
    ann, bo, cy = oc.user("Ann"), oc.user("Bo"), oc.user("Cy")
    rotation = oc.rotation("primary", [ann, bo])
    response = oc.admin.post(
        _path(rotation),
        json={
            "effective_at": _z(T0 + DAY + timedelta(seconds=30)),
            "changes": {
                "type": "weekly",
                "start": "2026-03-05T09:00:45+01:00",
                "participants": [ann, bo, cy],
            },
            "note": "Cy joins",
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["effective_at"] == _z(T0 + DAY)  # truncated to the minute
    assert created["changes"] == {
        "type": "weekly",
        "start": "2026-03-05T08:00:00Z",
        "participants": [ann, bo, cy],
    }
    assert created["note"] == "Cy joins" and created["rotation_id"] == rotation["id"]
    assert created["applied_at"] is None and created["skipped"] is None
    assert oc.reader.get(_path(rotation, created["id"])).json() == created
    nobody = _add(oc, rotation, T0 + 2 * DAY, participants=[])
    assert nobody["changes"] == {"participants": []}


def test_a_change_schedules_the_rotation_in_its_write(oc: Api) -> None:
    """The write path sets the rotation's next run to the change's instant itself (no job
    is needed to notice it); deleting the change moves it back to the next handoff."""
    rotation = oc.rotation("primary", [oc.user("Ann")])

    def next_run() -> datetime:
        rows = oc.sql(
            "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", rotation["id"]
        )
        value: datetime = rows[0]["next_run_at"]
        return value

    boundary = next_run()
    change = _add(oc, rotation, T0 + timedelta(hours=1), shift_length=2)
    assert next_run() == T0 + timedelta(hours=1) < boundary
    assert oc.admin.delete(_path(rotation, change["id"])).status_code == 204
    assert next_run() == boundary


def test_invalid_changes_are_422_naming_the_field(oc: Api) -> None:
    ann = oc.user("Ann")
    rotation = oc.rotation("primary", [ann])

    def post(at: datetime = T0 + DAY, **changes: Any) -> Any:
        return oc.admin.post(_path(rotation), json={"effective_at": _z(at), "changes": changes})

    assert _fields(post(T0 - DAY, shift_length=2)) == ["effective_at"]
    assert _fields(post(T0 + timedelta(seconds=20), shift_length=2)) == ["effective_at"]
    assert _fields(post()) == ["changes"]  # at least one field
    assert _fields(post(time_zone="Mars/Olympus")) == ["changes.time_zone"]
    assert _fields(post(type="fortnightly")) == ["changes.type"]
    assert _fields(post(shift_length=0)) == ["changes.shift_length"]
    assert _fields(post(participants=[ann, MISSING])) == ["changes.participants.1"]
    assert _fields(post(active_index=1)) == ["changes.active_index"]  # one participant
    assert _fields(post(participants=[], active_index=0)) == ["changes.active_index"]
    assert _fields(post(colour="red")) == ["changes.colour"]
    too_long = oc.admin.post(
        _path(rotation),
        json={"effective_at": _z(T0 + DAY), "changes": {"shift_length": 2}, "note": "x" * 501},
    )
    assert _fields(too_long) == ["note"]
    assert oc.sql("SELECT count(*) AS n FROM scheduled_changes")[0]["n"] == 0
    missing = oc.admin.post(
        f"/api/v1/rotations/{MISSING}/changes",
        json={"effective_at": _z(T0 + DAY), "changes": {"shift_length": 2}},
    )
    assert _problem(missing, 404)["detail"].startswith("no rotation")
    assert _problem(oc.reader.get(_path(rotation, MISSING)), 404)["detail"].startswith(
        "no scheduled change"
    )


def test_validated_against_the_rotation_as_it_will_be(oc: Api) -> None:
    ann, bo, cy = oc.user("Ann"), oc.user("Bo"), oc.user("Cy")
    rotation = oc.rotation("primary", [ann])
    _add(oc, rotation, T0 + DAY, participants=[ann, bo, cy])
    # after the first change there are three participants: position 2 exists then
    _add(oc, rotation, T0 + 2 * DAY, active_index=2)
    # but not before it
    early = oc.admin.post(
        _path(rotation), json={"effective_at": _z(T0 + DAY / 2), "changes": {"active_index": 2}}
    )
    assert _fields(early) == ["changes.active_index"]


def test_two_changes_at_one_instant_are_409(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    first = _add(oc, rotation, T0 + DAY, shift_length=2)
    again = oc.admin.post(
        _path(rotation),
        json={"effective_at": _z(T0 + DAY + timedelta(seconds=5)), "changes": {"type": "weekly"}},
    )
    assert first["id"] in _problem(again, 409)["detail"]
    second = _add(oc, rotation, T0 + 2 * DAY, type="weekly")
    moved = oc.admin.patch(_path(rotation, second["id"]), json={"effective_at": _z(T0 + DAY)})
    assert first["id"] in _problem(moved, 409)["detail"]
    other = oc.rotation("secondary", [oc.user("Bo")])
    _add(oc, other, T0 + DAY, shift_length=3)  # another rotation's instant is free


def test_edit_and_delete_only_while_pending(oc: Api) -> None:
    ann, bo = oc.user("Ann"), oc.user("Bo")
    rotation = oc.rotation("primary", [ann])
    change = _add(oc, rotation, T0 + DAY, shift_length=2)
    path = _path(rotation, change["id"])
    edited = oc.admin.patch(
        path,
        json={
            "effective_at": _z(T0 + 2 * DAY),
            "changes": {"participants": [ann, bo]},
            "note": "Bo joins",
        },
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["effective_at"] == _z(T0 + 2 * DAY)
    assert body["changes"] == {"participants": [ann, bo]}  # `changes` replaces the fields
    assert body["note"] == "Bo joins"
    note_only = oc.admin.patch(path, json={"note": "n"}).json()
    assert note_only["changes"] == {"participants": [ann, bo]}
    assert _fields(oc.admin.patch(path, json={"effective_at": _z(T0 - DAY)})) == ["effective_at"]
    assert _fields(oc.admin.patch(path, json={"changes": {}})) == ["changes"]
    set_now(oc, T0 + 2 * DAY)  # its instant has come: the engine applies it
    assert "taken effect" in _problem(oc.admin.patch(path, json={"note": "x"}), 409)["detail"]
    assert _problem(oc.admin.delete(path), 409)
    set_now(oc, T0)
    oc.sql("UPDATE scheduled_changes SET applied_at = %s WHERE id = %s", T0, change["id"])
    assert _problem(oc.admin.delete(path), 409)  # applied
    pending = _add(oc, rotation, T0 + 3 * DAY, shift_length=3)
    assert oc.admin.delete(_path(rotation, pending["id"])).status_code == 204
    assert oc.reader.get(_path(rotation, pending["id"])).status_code == 404


def test_list_by_instant_with_the_pending_filter(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    late = _add(oc, rotation, T0 + 3 * DAY, shift_length=3)
    early = _add(oc, rotation, T0 + DAY, shift_length=2)
    applied = _add(oc, rotation, T0 + 2 * DAY, type="weekly")
    oc.sql("UPDATE scheduled_changes SET applied_at = %s WHERE id = %s", T0, applied["id"])

    def ids(**params: Any) -> list[str]:
        response = oc.reader.get(_path(rotation), params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids() == [early["id"], applied["id"], late["id"]]
    assert ids(pending="true") == [early["id"], late["id"]]
    assert ids(pending="false") == [applied["id"]]
    page = oc.reader.get(_path(rotation), params={"limit": 2}).json()
    assert page["next_cursor"] is not None
    rest = oc.reader.get(_path(rotation), params={"limit": 2, "cursor": page["next_cursor"]})
    assert [c["id"] for c in rest.json()["items"]] == [late["id"]]
    assert _fields(oc.reader.get(_path(rotation), params={"pending": "maybe"})) == ["pending"]
    assert _problem(oc.reader.get(f"/api/v1/rotations/{MISSING}/changes"), 404)


def test_auth_matrix(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    one = _add(oc, rotation, T0 + DAY, shift_length=2)
    body = {"effective_at": _z(T0 + 2 * DAY), "changes": {"shift_length": 3}}
    for path in (_path(rotation), _path(rotation, one["id"])):
        assert oc.anonymous.get(path).status_code == 401
        assert oc.reader.get(path).status_code == 200
    for method, path, json in (
        ("POST", _path(rotation), body),
        ("PATCH", _path(rotation, one["id"]), {"note": "x"}),
        ("DELETE", _path(rotation, one["id"]), None),
    ):
        assert _problem(oc.anonymous.request(method, path, json=json), 401)
        assert _problem(oc.reader.request(method, path, json=json), 403)
    assert oc.reader.get(_path(rotation, one["id"])).json() == one


def test_a_deleted_user_leaves_pending_lists(oc: Api) -> None:
    ann, bo = oc.user("Ann"), oc.user("Bo")
    rotation = oc.rotation("primary", [ann])
    pending = _add(oc, rotation, T0 + DAY, participants=[ann, bo, ann])
    applied = _add(oc, rotation, T0 + 2 * DAY, participants=[bo])
    oc.sql("UPDATE scheduled_changes SET applied_at = %s WHERE id = %s", T0, applied["id"])
    assert oc.admin.delete(f"/api/v1/users/{bo}").status_code == 204
    after = oc.reader.get(_path(rotation, pending["id"])).json()
    assert after["changes"]["participants"] == [ann, ann]
    # an applied change is history: it keeps the list it applied
    assert oc.reader.get(_path(rotation, applied["id"])).json()["changes"]["participants"] == [bo]


def test_every_field_at_fault_is_reported(oc: Api) -> None:
    ann = oc.user("Ann")
    rotation = oc.rotation("primary", [ann])
    first = oc.admin.post(_path(rotation), json={"effective_at": _z(T0 - DAY), "changes": {}})
    assert _fields(first) == ["effective_at", "changes"]
    second = oc.admin.post(
        _path(rotation),
        json={
            "effective_at": _z(T0 + DAY),
            "changes": {
                "participants": [MISSING, ann, MISSING],
                "active_index": 3,
            },
        },
    )
    assert _fields(second) == [
        "changes.participants.0",
        "changes.participants.2",
        "changes.active_index",
    ]
