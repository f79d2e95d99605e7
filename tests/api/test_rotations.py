"""/api/v1/rotations: the Rotation object, every edit through the rules, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.grid import Grid

from .conftest import MAX_PARTICIPANTS, T0, Api

MISSING = "00000000-0000-4000-8000-000000000000"


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _state(api: Api, rotation_id: str) -> list[dict[str, Any]]:
    return api.sql(
        "SELECT position, participant_id, shift_start FROM rotation_state WHERE rotation_id = %s",
        rotation_id,
    )


def test_create_with_participants_puts_the_first_on_call_now(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    body = api.rotation(
        "primary",
        [ann, bob],
        start="2026-03-01T09:00:59.5+01:00",
        shift_length=2,
        description="db",
    )
    grid = Grid("daily", 2, datetime(2026, 3, 1, 8, tzinfo=UTC), "Europe/Berlin")
    assert body["start"] == "2026-03-01T08:00:00Z"  # truncated to the minute, in UTC
    assert body["active_index"] == 0 and body["on_call_user_id"] == ann
    assert body["shift_start"] == _z(T0)
    assert body["next_handoff"] == _z(grid.end_time(T0))
    assert [(p["position"], p["user_id"]) for p in body["participants"]] == [(0, ann), (1, bob)]
    assert body["created_at"] == body["updated_at"] == _z(T0)
    assert body["description"] == "db" and body["shift_length"] == 2
    # the write path scheduled the next handoff itself, in the same transaction: no job now
    jobs = api.sql(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE queueing_lock = %s",
        f"rotation:{body['id']}",
    )
    assert jobs[0]["n"] == 0
    schedule = api.sql(
        "SELECT next_run_at, job_id FROM rotation_schedule WHERE rotation_id = %s", body["id"]
    )
    assert schedule == [{"next_run_at": grid.end_time(T0), "job_id": None}]


def test_create_without_participants_has_nobody_on_call(api: Api) -> None:
    body = api.rotation("empty")
    assert body["participants"] == []
    assert body["active_index"] is None and body["on_call_user_id"] is None
    assert body["shift_start"] is None and body["next_handoff"] is None
    assert _state(api, body["id"]) == []


def test_name_taken_is_409(api: Api) -> None:
    api.rotation("primary")
    other = api.rotation("secondary")
    again = api.admin.post(
        "/api/v1/rotations",
        json={
            "name": "primary",
            "type": "daily",
            "start": "2026-03-01T09:00:00Z",
            "time_zone": "UTC",
        },
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    renamed = api.admin.patch(f"/api/v1/rotations/{other['id']}", json={"name": "primary"})
    assert renamed.status_code == 409
    assert api.reader.get(f"/api/v1/rotations/{other['id']}").json()["name"] == "secondary"


def test_validation_errors_name_the_field(api: Api) -> None:
    ann = api.user("Ann")
    base = {"name": "r", "type": "daily", "start": "2026-03-01T09:00:00Z", "time_zone": "UTC"}
    cases = [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"shift_length": 0}, "shift_length"),
        ({"shift_length": 9001}, "shift_length"),
        ({"type": "yearly"}, "type"),
        ({"start": "2026-03-01"}, "start"),  # a date alone (a wall time is read in the zone)
        ({"start": "0001-01-01T00:00:00+01:00"}, "start"),
        ({"start": "9999-12-31T23:59:00-01:00"}, "start"),
        ({"participants": [MISSING]}, "participants.0"),
        ({"participants": ["nope"]}, "participants.0"),
        ({"participants": [ann] * (MAX_PARTICIPANTS + 1)}, "participants"),
        ({"name": "bad\u0000name"}, "name"),
        ({"description": "x" * 10_001}, "description"),
    ]
    for change, field in cases:
        response = api.admin.post("/api/v1/rotations", json=base | change)
        assert response.status_code == 422, (change, response.text)
        fields = [e["field"] for e in response.json()["errors"]]
        assert field in fields, (change, fields)
    assert api.sql("SELECT count(*) AS n FROM rotations")[0]["n"] == 0
    limit = api.admin.post("/api/v1/rotations", json=base | {"participants": [ann] * 6}).json()
    assert "at most 5 participants" in limit["errors"][0]["message"]


def test_get_and_list_with_filter_and_cursor(api: Api) -> None:
    for name in ("db primary", "db secondary", "web 100%", "web_1"):
        api.rotation(name)
    assert api.reader.get(f"/api/v1/rotations/{MISSING}").status_code == 404
    assert api.reader.get("/api/v1/rotations/not-a-uuid").status_code == 422
    names = [
        r["name"] for r in api.reader.get("/api/v1/rotations", params={"q": "DB"}).json()["items"]
    ]
    assert names == ["db primary", "db secondary"]
    literal = api.reader.get("/api/v1/rotations", params={"q": "100%"}).json()["items"]
    assert [r["name"] for r in literal] == ["web 100%"]
    underscore = api.reader.get("/api/v1/rotations", params={"q": "_"}).json()["items"]
    assert [r["name"] for r in underscore] == ["web_1"]
    first = api.reader.get("/api/v1/rotations", params={"limit": 3}).json()
    rest = api.reader.get(
        "/api/v1/rotations", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [r["name"] for r in first["items"] + rest["items"]] == sorted(
        ["db primary", "db secondary", "web 100%", "web_1"]
    )
    assert rest["next_cursor"] is None
    assert api.reader.get("/api/v1/rotations", params={"q": "a\u0000"}).status_code == 422


def test_grid_edit_keeps_the_person_and_restarts_the_shift_now(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    later = T0 + timedelta(hours=3, minutes=7)
    api.clock.set(later)
    edited = api.admin.patch(
        f"/api/v1/rotations/{rotation['id']}",
        json={"type": "hourly", "shift_length": 4, "time_zone": "America/New_York"},
    )
    assert edited.status_code == 200
    body = edited.json()
    assert body["on_call_user_id"] == ann
    assert body["shift_start"] == _z(later)
    grid = Grid("hourly", 4, datetime(2026, 3, 1, 8, tzinfo=UTC), "America/New_York")
    assert body["next_handoff"] == _z(grid.end_time(later))
    assert body["updated_at"] == _z(later)
    stamped = api.sql("SELECT grid_changed_at FROM rotations WHERE id = %s", rotation["id"])
    assert stamped[0]["grid_changed_at"] == later
    # a description-only edit does not touch the grid or the shift
    api.clock.set(later + timedelta(minutes=1))
    again = api.admin.patch(f"/api/v1/rotations/{rotation['id']}", json={"description": "x"})
    assert again.json()["shift_start"] == _z(later)
    assert api.sql("SELECT grid_changed_at FROM rotations WHERE id = %s", rotation["id"]) == stamped


def test_replacing_participants_keeps_the_person_on_call(api: Api) -> None:
    ann, bob, cid = api.user("Ann"), api.user("Bob"), api.user("Cid")
    rotation = api.rotation("primary", [ann, bob])
    path = f"/api/v1/rotations/{rotation['id']}"
    moved = api.admin.patch(path, json={"participants": [cid, bob, ann, ann]}).json()
    assert [p["user_id"] for p in moved["participants"]] == [cid, bob, ann, ann]
    assert moved["on_call_user_id"] == ann and moved["active_index"] == 2
    assert moved["shift_start"] == rotation["shift_start"]
    # participant ids survive for users who stay
    assert moved["participants"][1]["id"] == rotation["participants"][1]["id"]
    gone = api.admin.patch(path, json={"participants": [bob, cid]}).json()
    assert gone["active_index"] == 0 and gone["on_call_user_id"] == bob  # 2 wraps to 0
    history = api.reader.get(f"{path}/history").json()["items"]
    assert history[0]["cause"] == "participants_replaced"
    empty = api.admin.patch(path, json={"participants": []}).json()
    assert empty["on_call_user_id"] is None and _state(api, rotation["id"]) == []
    refused = api.admin.patch(path, json={"participants": [MISSING]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "participants.0"


def test_active_index_hands_over_the_rest_of_the_shift(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    path = f"/api/v1/rotations/{rotation['id']}"
    api.clock.set(T0 + timedelta(hours=1))
    body = api.admin.patch(path, json={"active_index": 1}).json()
    assert body["on_call_user_id"] == bob and body["shift_start"] == rotation["shift_start"]
    manual = api.reader.get(f"{path}/history").json()["items"][0]
    assert manual["cause"] == "manual" and manual["to_user_id"] == bob
    assert manual["boundary_at"] == _z(T0 + timedelta(hours=1))
    out_of_range = api.admin.patch(path, json={"active_index": 2})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"][0]["field"] == "active_index"
    assert api.reader.get(path).json()["on_call_user_id"] == bob
    nobody = api.rotation("empty")
    assert (
        api.admin.patch(f"/api/v1/rotations/{nobody['id']}", json={"active_index": 0}).status_code
        == 422
    )


def test_failed_patch_changes_nothing(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    path = f"/api/v1/rotations/{rotation['id']}"
    response = api.admin.patch(
        path, json={"name": "renamed", "participants": [bob, ann], "active_index": 7}
    )
    assert response.status_code == 422
    assert api.reader.get(path).json() == rotation


def test_delete(api: Api) -> None:
    rotation = api.rotation("primary", [api.user()])
    assert api.admin.delete(f"/api/v1/rotations/{rotation['id']}").status_code == 204
    assert api.reader.get(f"/api/v1/rotations/{rotation['id']}").status_code == 404
    assert api.admin.delete(f"/api/v1/rotations/{rotation['id']}").status_code == 404
    assert (
        api.sql("SELECT count(*) AS n FROM procrastinate_jobs WHERE status = 'todo'")[0]["n"] == 0
    )


def test_participants_add_and_remove(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary")
    path = f"/api/v1/rotations/{rotation['id']}/participants"
    first = api.admin.post(path, json={"user_id": ann})
    assert first.status_code == 201
    assert first.json()["position"] == 0 and first.json()["user_id"] == ann
    second = api.admin.post(path, json={"user_id": bob}).json()
    body = api.reader.get(f"/api/v1/rotations/{rotation['id']}").json()
    assert body["on_call_user_id"] == ann and body["shift_start"] == _z(T0)
    assert api.admin.post(path, json={"user_id": MISSING}).status_code == 422
    missing_rotation = f"/api/v1/rotations/{MISSING}/participants"
    assert api.admin.post(missing_rotation, json={"user_id": ann}).status_code == 404
    removed = api.admin.delete(f"{path}/{first.json()['id']}")
    assert removed.status_code == 204
    body = api.reader.get(f"/api/v1/rotations/{rotation['id']}").json()
    assert body["on_call_user_id"] == bob
    assert body["participants"] == [second | {"position": 0}]
    assert api.admin.delete(f"{path}/{first.json()['id']}").status_code == 404


def test_participant_limit(api: Api) -> None:
    ann = api.user("Ann")
    rotation = api.rotation("primary", [ann] * MAX_PARTICIPANTS)
    path = f"/api/v1/rotations/{rotation['id']}/participants"
    refused = api.admin.post(path, json={"user_id": ann})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "user_id"
    count = api.sql("SELECT count(*) AS n FROM participants")[0]["n"]
    assert count == MAX_PARTICIPANTS
