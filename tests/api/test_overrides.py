"""/api/v1/rotations/{id}/overrides and /api/v1/overrides: oncall.md's rules, every refusal
as problem+json, the auth matrix, and what deleting a user does to overrides."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import T0, Api, Server

MISSING = "00000000-0000-4000-8000-000000000000"
H = timedelta(hours=1)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def set_now(api: Api, when: datetime) -> None:
    """Move both clocks: the API's and the engine's (the database's handoff_now())."""
    api.clock.set(when)
    api.sql(
        "INSERT INTO handoff_clock (frozen_at) VALUES (%s)"
        " ON CONFLICT (singleton) DO UPDATE SET frozen_at = excluded.frozen_at",
        when,
    )


@pytest.fixture
def oc(api: Api) -> Api:
    """The API with both clocks at T0 (every test starts with the database's clock running free)."""
    set_now(api, T0)
    return api


def _path(rotation: dict[str, Any], override_id: str | None = None) -> str:
    base = f"/api/v1/rotations/{rotation['id']}/overrides"
    return base if override_id is None else f"{base}/{override_id}"


def _add(api: Api, rotation: dict[str, Any], start: datetime, end: datetime, **fields: Any) -> Any:
    body = {"start": _z(start), "end": _z(end), "user_id": None} | fields
    response = api.admin.post(_path(rotation), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in _problem(response, 422)["errors"]]


def test_create_get_and_truncation(oc: Api) -> None:
    ann, bo = oc.user("Ann"), oc.user("Bo")
    rotation = oc.rotation("primary", [ann])
    created = _add(
        oc,
        rotation,
        T0 + timedelta(hours=2, seconds=42),
        T0 + timedelta(hours=5, seconds=59),
        user_id=bo,
        replaces_user_id=ann,
        note="dentist",
    )
    start = (T0 + 2 * H).replace(second=0)
    assert created["start"] == _z(start) and created["end"] == _z(T0 + 5 * H)
    assert created["user_id"] == bo and created["replaces_user_id"] == ann
    assert created["note"] == "dentist" and created["rotation_id"] == rotation["id"]
    assert created["created_at"] == created["updated_at"]
    got = oc.reader.get(_path(rotation, created["id"]))
    assert got.status_code == 200 and got.json() == created
    nobody = _add(oc, rotation, T0 + 6 * H, T0 + 7 * H)
    assert nobody["user_id"] is None and nobody["replaces_user_id"] is None
    # an override may start in the past as long as it has not ended
    _add(oc, rotation, T0 - 3 * H, T0 + H, user_id=bo)


def test_a_change_to_an_override_schedules_the_rotation_in_its_write(oc: Api) -> None:
    """The write path schedules the rotation's next run itself (the earliest of its next
    handoff and override edge); only a plain-SQL write of an override enqueues it."""
    rotation = oc.rotation("primary", [oc.user("Ann")])
    boundary = datetime(2026, 3, 3, 8, tzinfo=UTC)  # 09:00 in Berlin

    def next_run() -> datetime:
        rows = oc.sql(
            "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", rotation["id"]
        )
        value: datetime = rows[0]["next_run_at"]
        return value

    def jobs() -> int:
        rows = oc.sql(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE queueing_lock = %s"
            " AND status = 'todo'",
            f"rotation:{rotation['id']}",
        )
        return int(rows[0]["n"])

    oc.sql("DELETE FROM procrastinate_jobs")
    oc.sql("UPDATE rotation_schedule SET job_id = NULL, dispatched_at = NULL")
    assert next_run() == boundary
    created = _add(oc, rotation, T0 + H, T0 + 2 * H)
    assert next_run() == T0 + H
    oc.admin.patch(_path(rotation, created["id"]), json={"note": "only a note"})
    oc.admin.patch(_path(rotation, created["id"]), json={"start": _z(T0 + 3 * H / 2)})
    assert next_run() == T0 + 3 * H / 2
    assert oc.admin.delete(_path(rotation, created["id"])).status_code == 204
    assert next_run() == boundary
    assert jobs() == 0  # no job was needed: each write scheduled the rotation itself
    again = _add(oc, rotation, T0 + H, T0 + 2 * H)
    oc.sql("UPDATE overrides SET end_at = %s WHERE id = %s", T0 + 3 * H, again["id"])
    assert jobs() == 1


def test_invalid_overrides_are_422_naming_the_field(oc: Api) -> None:
    ann = oc.user("Ann")
    rotation = oc.rotation("primary", [ann])
    before = oc.sql("SELECT count(*) AS n FROM overrides")

    def post(**fields: Any) -> Any:
        body = {"start": _z(T0 + H), "end": _z(T0 + 2 * H), "user_id": ann} | fields
        return oc.admin.post(_path(rotation), json=body)

    assert _fields(post(end=_z(T0 + H))) == ["end"]  # not after start
    assert _fields(post(start=_z(T0 - 2 * H), end=_z(T0 - H))) == ["end"]  # already ended
    assert _fields(post(end=_z(T0 + H + timedelta(seconds=30)))) == ["end"]  # same minute
    assert _fields(post(user_id=MISSING)) == ["user_id"]
    assert _fields(post(replaces_user_id=MISSING)) == ["replaces_user_id"]
    assert _fields(post(replaces_user_id=ann)) == ["replaces_user_id"]
    assert _fields(post(note="x" * 501)) == ["note"]
    assert _fields(post(start="2026-03-02T10:00:00")) == ["start"]  # no offset
    assert _fields(post(colour="red")) == ["colour"]
    missing_user = oc.admin.post(_path(rotation), json={"start": _z(T0 + H), "end": _z(T0 + 2 * H)})
    assert _fields(missing_user) == ["user_id"]  # nobody must be said explicitly (null)
    assert oc.sql("SELECT count(*) AS n FROM overrides") == before
    assert _problem(
        oc.admin.post(
            f"/api/v1/rotations/{MISSING}/overrides",
            json={"start": _z(T0 + H), "end": _z(T0 + 2 * H), "user_id": None},
        ),
        404,
    )
    assert _problem(oc.reader.get(_path(rotation, MISSING)), 404)["detail"].startswith(
        "no override"
    )
    assert _problem(oc.reader.get(f"/api/v1/rotations/{MISSING}/overrides/{MISSING}"), 404)[
        "detail"
    ].startswith("no rotation")


def test_overlap_is_409_naming_the_other_override(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    other_rotation = oc.rotation("secondary", [oc.user("Bo")])
    first = _add(oc, rotation, T0 + H, T0 + 3 * H)
    overlapping = oc.admin.post(
        _path(rotation), json={"start": _z(T0 + 2 * H), "end": _z(T0 + 4 * H), "user_id": None}
    )
    detail = _problem(overlapping, 409)["detail"]
    assert first["id"] in detail and detail.endswith(" of the same rotation")
    # touching is not overlapping, and another rotation's overrides do not count
    _add(oc, rotation, T0 + 3 * H, T0 + 4 * H)
    _add(oc, other_rotation, T0 + 2 * H, T0 + 4 * H)
    second = _add(oc, rotation, T0 + 5 * H, T0 + 6 * H)
    moved = oc.admin.patch(_path(rotation, second["id"]), json={"start": _z(T0 + 2 * H)})
    assert first["id"] in _problem(moved, 409)["detail"]


def test_at_most_max_overrides_that_have_not_ended(oc: Api, server: Server) -> None:
    settings = server.app.state.settings
    server.app.state.settings = settings.model_copy(update={"max_overrides": 2})
    try:
        rotation = oc.rotation("primary", [oc.user("Ann")])
        _add(oc, rotation, T0 - H, T0 + H)
        _add(oc, rotation, T0 + H, T0 + 2 * H)
        third = oc.admin.post(
            _path(rotation), json={"start": _z(T0 + 3 * H), "end": _z(T0 + 4 * H), "user_id": None}
        )
        assert "2 overrides" in _problem(third, 409)["detail"]
        set_now(oc, T0 + H)  # the first one has ended: it no longer counts
        _add(oc, rotation, T0 + 3 * H, T0 + 4 * H)
    finally:
        server.app.state.settings = settings


def test_editing_follows_the_override_phase(oc: Api) -> None:
    ann, bo, cy = oc.user("Ann"), oc.user("Bo"), oc.user("Cy")
    rotation = oc.rotation("primary", [ann])
    future = _add(oc, rotation, T0 + H, T0 + 2 * H, user_id=bo)
    edited = oc.admin.patch(
        _path(rotation, future["id"]),
        json={"start": _z(T0 + 2 * H), "end": _z(T0 + 4 * H), "user_id": cy, "note": "swap"},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["start"], body["end"], body["user_id"], body["note"]) == (
        _z(T0 + 2 * H),
        _z(T0 + 4 * H),
        cy,
        "swap",
    )
    nobody = oc.admin.patch(_path(rotation, future["id"]), json={"user_id": None})
    assert nobody.json()["user_id"] is None
    set_now(oc, T0 + 3 * H)  # now in force
    path = _path(rotation, future["id"])
    for frozen in (
        {"start": _z(T0 + 150 * timedelta(minutes=1))},
        {"user_id": bo},
        {"replaces_user_id": ann},
    ):
        assert "in force" in _problem(oc.admin.patch(path, json=frozen), 409)["detail"]
    assert _fields(oc.admin.patch(path, json={"end": _z(T0 + 2 * H)})) == ["end"]
    longer = oc.admin.patch(path, json={"end": _z(T0 + 5 * H), "note": "longer"})
    assert longer.status_code == 200 and longer.json()["end"] == _z(T0 + 5 * H)
    same_start = oc.admin.patch(path, json={"start": _z(T0 + 2 * H), "note": "ok"})
    assert same_start.status_code == 200  # sending the unchanged start is not a change
    set_now(oc, T0 + 6 * H)  # ended
    assert "ended" in _problem(oc.admin.patch(path, json={"note": "late"}), 409)["detail"]
    assert oc.reader.get(path).json()["note"] == "ok"


def test_delete_removes_a_future_override_and_ends_one_in_force(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    future = _add(oc, rotation, T0 + H, T0 + 2 * H)
    assert oc.admin.delete(_path(rotation, future["id"])).status_code == 204
    assert oc.reader.get(_path(rotation, future["id"])).status_code == 404
    in_force = _add(oc, rotation, T0 - H, T0 + 2 * H)
    set_now(oc, T0 + timedelta(minutes=10, seconds=5))
    assert oc.admin.delete(_path(rotation, in_force["id"])).status_code == 204
    ended = oc.reader.get(_path(rotation, in_force["id"])).json()
    assert ended["end"] == _z(T0 + timedelta(minutes=10, seconds=5))  # the request's instant
    set_now(oc, T0 + H)
    gone = oc.admin.delete(_path(rotation, in_force["id"]))
    assert "history" in _problem(gone, 409)["detail"]
    assert oc.reader.get(_path(rotation, in_force["id"])).status_code == 200


def test_lists_default_to_not_ended_and_filter_by_window_and_user(oc: Api) -> None:
    ann, bo = oc.user("Ann"), oc.user("Bo")
    primary = oc.rotation("primary", [ann])
    secondary = oc.rotation("secondary", [bo])
    past = _add(oc, primary, T0 + 10 * H, T0 + 11 * H)
    oc.sql(  # an override that ended before now, as if made earlier
        "UPDATE overrides SET start_at = %s, end_at = %s WHERE id = %s",
        T0 - 3 * H,
        T0 - 2 * H,
        past["id"],
    )
    now_ = _add(oc, primary, T0 - H, T0 + H, user_id=bo)
    later = _add(oc, primary, T0 + 2 * H, T0 + 3 * H, replaces_user_id=ann)
    elsewhere = _add(oc, secondary, T0 + H, T0 + 2 * H, user_id=ann)

    def ids(path: str, **params: Any) -> list[str]:
        response = oc.reader.get(path, params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert ids(_path(primary)) == [now_["id"], later["id"]]
    assert ids(_path(primary), since=_z(T0 - 4 * H)) == [past["id"], now_["id"], later["id"]]
    assert ids(_path(primary), since=_z(T0 - 4 * H), until=_z(T0 - H)) == [past["id"]]
    assert ids("/api/v1/overrides") == [now_["id"], elsewhere["id"], later["id"]]
    assert ids("/api/v1/overrides", user_id=ann) == [elsewhere["id"], later["id"]]
    assert ids("/api/v1/overrides", user_id=bo) == [now_["id"]]
    first = oc.reader.get("/api/v1/overrides", params={"limit": 2}).json()
    assert [o["id"] for o in first["items"]] == [now_["id"], elsewhere["id"]]
    rest = oc.reader.get("/api/v1/overrides", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [o["id"] for o in rest.json()["items"]] == [later["id"]]
    assert rest.json()["next_cursor"] is None
    bad = {"since": _z(T0), "until": _z(T0 - H)}
    assert _fields(oc.reader.get(_path(primary), params=bad)) == ["until"]
    assert _fields(oc.reader.get("/api/v1/overrides", params={"cursor": "nope"})) == ["cursor"]
    assert _fields(oc.reader.get("/api/v1/overrides", params={"user": ann})) == ["user"]
    assert _problem(oc.reader.get(f"/api/v1/rotations/{MISSING}/overrides"), 404)


def test_auth_matrix(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    one = _add(oc, rotation, T0 + H, T0 + 2 * H)
    body = {"start": _z(T0 + 3 * H), "end": _z(T0 + 4 * H), "user_id": None}
    reads = [_path(rotation), _path(rotation, one["id"]), "/api/v1/overrides"]
    writes = [
        ("POST", _path(rotation), body),
        ("PATCH", _path(rotation, one["id"]), {"note": "x"}),
        ("DELETE", _path(rotation, one["id"]), None),
    ]
    for path in reads:
        assert oc.anonymous.get(path).status_code == 401
        assert oc.reader.get(path).status_code == 200
    for method, path, json in writes:
        assert _problem(oc.anonymous.request(method, path, json=json), 401)
        assert _problem(oc.reader.request(method, path, json=json), 403)
    assert oc.reader.get(_path(rotation, one["id"])).json() == one  # nothing changed


def test_deleting_a_user_deletes_their_overrides_and_ends_the_one_in_force(oc: Api) -> None:
    ann, bo, cy = oc.user("Ann"), oc.user("Bo"), oc.user("Cy")
    rotation = oc.rotation("primary", [ann, cy])
    in_force = _add(oc, rotation, T0 - H, T0 + H, user_id=bo, note="Bo covers Ann")
    future = _add(oc, rotation, T0 + 2 * H, T0 + 3 * H, user_id=cy, replaces_user_id=bo)
    kept = _add(oc, rotation, T0 + 4 * H, T0 + 5 * H, user_id=cy)
    deleted_at = T0 + timedelta(minutes=10, seconds=3)
    set_now(oc, deleted_at)
    assert oc.admin.delete(f"/api/v1/users/{bo}").status_code == 204
    ended = oc.reader.get(_path(rotation, in_force["id"])).json()  # ended now: history
    assert (ended["end"], ended["user_id"]) == (_z(deleted_at), bo)
    assert oc.reader.get(_path(rotation, future["id"])).status_code == 404
    assert oc.reader.get(_path(rotation, kept["id"])).status_code == 200
    rows = oc.sql(
        "SELECT boundary_at, cause, effective, override_id, from_user_id, from_user_name,"
        " to_user_id, to_user_name FROM handoffs WHERE rotation_id = %s AND cause = 'user_deleted'",
        rotation["id"],
    )
    assert [
        (r["boundary_at"], str(r["override_id"]), str(r["from_user_id"]), r["from_user_name"])
        for r in rows
    ] == [(deleted_at, in_force["id"], bo, "Bo")]
    assert str(rows[0]["to_user_id"]) == ann and rows[0]["to_user_name"] == "Ann"
    assert rows[0]["effective"] is True


def test_concurrent_overlapping_creates_one_wins(oc: Api) -> None:
    """The overlap check runs under the rotation's lock: racing writers cannot both pass it."""
    rotation = oc.rotation("primary", [oc.user("Ann")])
    bodies = [
        {"start": _z(T0 + H + i * timedelta(minutes=5)), "end": _z(T0 + 3 * H), "user_id": None}
        for i in range(6)
    ]
    with ThreadPoolExecutor(len(bodies)) as pool:
        statuses = sorted(
            pool.map(lambda b: oc.admin.post(_path(rotation), json=b).status_code, bodies)
        )
    assert statuses == [201] + [409] * (len(bodies) - 1)
    assert oc.sql("SELECT count(*) AS n FROM overrides")[0]["n"] == 1


def test_every_field_at_fault_is_reported(oc: Api) -> None:
    rotation = oc.rotation("primary", [oc.user("Ann")])
    body = {
        "start": _z(T0 - 2 * H),
        "end": _z(T0 - H),
        "user_id": MISSING,
        "replaces_user_id": MISSING.replace("0000-4000", "0000-4001"),
    }
    assert _fields(oc.admin.post(_path(rotation), json=body)) == [
        "end",
        "user_id",
        "replaces_user_id",
    ]
