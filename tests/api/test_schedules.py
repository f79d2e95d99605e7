"""/api/v1/schedules (schedules.md): CRUD, the final answer, coverage, history recorded by
the writers at their instants, schedule overrides, deleting a rotation that is a layer, and
every refusal as problem+json that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import T0, Api
from .test_overrides import _fields, _problem, _z, set_now

H = timedelta(hours=1)
DAY = timedelta(days=1)
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def sa(api: Api) -> Api:
    set_now(api, T0)
    return api


def _schedule(api: Api, name: str, layers: list[str], **fields: Any) -> Any:
    body = {"name": name, "time_zone": "Europe/Berlin", "combine": "priority", "layers": layers}
    response = api.admin.post("/api/v1/schedules", json=body | fields)
    assert response.status_code == 201, response.text
    return response.json()


def _history(api: Api, schedule: dict[str, Any]) -> list[tuple[str, str, list[str], list[str]]]:
    response = api.reader.get(f"/api/v1/schedules/{schedule['id']}/history")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return [(i["at"], i["cause"], i["from_user_ids"], i["to_user_ids"]) for i in reversed(items)]


def test_primary_secondary_union_and_priority(sa: Api) -> None:
    ann, bo = sa.user("Ann"), sa.user("Bo")
    primary = sa.rotation("primary", [ann])
    secondary = sa.rotation("secondary", [bo])
    stacked = _schedule(sa, "Payments", [primary["id"], secondary["id"]])
    assert [layer["rotation_id"] for layer in stacked["layers"]] == [primary["id"], secondary["id"]]
    assert [layer["position"] for layer in stacked["layers"]] == [0, 1]
    assert stacked["on_call_user_ids"] == [ann]
    both = _schedule(sa, "Payments all", [primary["id"], secondary["id"]], combine="union")
    assert both["on_call_user_ids"] == [ann, bo]
    got = sa.reader.get(f"/api/v1/schedules/{stacked['id']}")
    assert got.status_code == 200 and got.json() == stacked
    listed = sa.reader.get("/api/v1/schedules", params={"q": "all"}).json()
    assert [s["name"] for s in listed["items"]] == ["Payments all"]
    oncall = sa.reader.get(f"/api/v1/schedules/{both['id']}/oncall", params={"at": _z(T0 + DAY)})
    assert oncall.json() == {"at": _z(T0 + DAY), "user_ids": [ann, bo]}
    assert _history(sa, both) == [(_z(T0), "started", [], [ann, bo])]
    coverage = sa.reader.get(f"/api/v1/schedules/{both['id']}/coverage").json()
    assert coverage["gaps"] == [] and coverage["clock_change_weeks"] == []
    assert coverage["overlaps"] == [
        {"start": _z(T0), "end": _z(T0 + 28 * DAY), "user_ids": [ann, bo]}
    ]


def test_reordering_layers_is_recorded_at_the_edit_and_deleting_a_layer_rotation(sa: Api) -> None:
    ann, bo = sa.user("Ann"), sa.user("Bo")
    primary = sa.rotation("primary", [ann])
    secondary = sa.rotation("secondary", [bo])
    schedule = _schedule(sa, "Payments", [primary["id"], secondary["id"]])
    edit_at = T0 + 2 * H + timedelta(seconds=7)
    set_now(sa, edit_at)
    reordered = sa.admin.patch(
        f"/api/v1/schedules/{schedule['id']}", json={"layers": [secondary["id"], primary["id"]]}
    )
    assert reordered.status_code == 200, reordered.text
    assert reordered.json()["on_call_user_ids"] == [bo]
    set_now(sa, edit_at + H)
    assert sa.admin.delete(f"/api/v1/rotations/{secondary['id']}").status_code == 204
    after = sa.reader.get(f"/api/v1/schedules/{schedule['id']}").json()
    assert [layer["rotation_id"] for layer in after["layers"]] == [primary["id"]]
    assert after["on_call_user_ids"] == [ann]
    # The history names the deleted rotation's person still: it survives the deletion.
    assert _history(sa, schedule) == [
        (_z(T0), "started", [], [ann]),
        (_z(edit_at), "layers_changed", [ann], [bo]),
        (_z(edit_at + H), "layers_changed", [bo], [ann]),
    ]
    # A schedule left with no layers keeps existing with nobody on call.
    assert sa.admin.delete(f"/api/v1/rotations/{primary['id']}").status_code == 204
    empty = sa.reader.get(f"/api/v1/schedules/{schedule['id']}").json()
    assert empty["layers"] == [] and empty["on_call_user_ids"] == []
    # Its other fields still change (the layers it no longer has are not checked again)...
    renamed = sa.admin.patch(f"/api/v1/schedules/{schedule['id']}", json={"name": "Payments 2"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Payments 2" and renamed.json()["layers"] == []
    # ...and layers given are checked as ever.
    none = sa.admin.patch(f"/api/v1/schedules/{schedule['id']}", json={"layers": []})
    assert none.status_code == 422


def test_schedule_overrides_record_their_edges(sa: Api) -> None:
    ann, bo, cy = sa.user("Ann"), sa.user("Bo"), sa.user("Cy")
    primary = sa.rotation("primary", [ann])
    schedule = _schedule(sa, "Payments", [primary["id"]])
    path = f"/api/v1/schedules/{schedule['id']}/overrides"
    now_cover = sa.admin.post(path, json={"start": _z(T0 - H), "end": _z(T0 + H), "user_id": bo})
    assert now_cover.status_code == 201, now_cover.text
    assert now_cover.json()["start"] == _z(T0)  # a start in the past is now
    later = sa.admin.post(
        path,
        json={
            "start": _z(T0 + 3 * H),
            "end": _z(T0 + 5 * H),
            "user_id": cy,
            "replaces_user_id": ann,
        },
    )
    assert later.status_code == 201, later.text
    overlap = sa.admin.post(
        path, json={"start": _z(T0 + 4 * H), "end": _z(T0 + 6 * H), "user_id": None}
    )
    detail = _problem(overlap, 409)["detail"]
    assert later.json()["id"] in detail and detail.endswith(" of the same schedule")
    # A schedule override's fields are checked as a rotation override's, every one reported.
    wrong = sa.admin.post(
        path,
        json={
            "start": _z(T0 + 9 * H),
            "end": _z(T0 + 8 * H),
            "user_id": bo,
            "replaces_user_id": bo,
        },
    )
    assert _fields(wrong) == ["end", "replaces_user_id"]
    shifts = sa.reader.get(
        f"/api/v1/schedules/{schedule['id']}/shifts",
        params={"since": _z(T0), "until": _z(T0 + 6 * H)},
    ).json()
    assert [(s["start"], s["user_ids"], s["override_id"]) for s in shifts] == [
        (_z(T0), [bo], now_cover.json()["id"]),
        (_z(T0 + H), [ann], None),
        (_z(T0 + 3 * H), [cy], later.json()["id"]),
        (_z(T0 + 5 * H), [ann], None),
    ]
    # Ending the override in force is recorded at the request; an ended one is history.
    set_now(sa, T0 + 30 * timedelta(minutes=1))
    one = f"{path}/{now_cover.json()['id']}"
    assert sa.admin.delete(one).status_code == 204
    assert sa.reader.get(one).json()["end"] == _z(T0 + 30 * timedelta(minutes=1))
    assert _problem(sa.admin.delete(one), 409)
    # The override in force from the schedule's first instant makes that instant's one row.
    assert _history(sa, schedule) == [
        (_z(T0), "started", [], [bo]),
        (_z(T0 + 30 * timedelta(minutes=1)), "override_ended", [bo], [ann]),
    ]


def test_refusals_are_problems_that_change_nothing(sa: Api) -> None:
    ann = sa.user("Ann")
    primary = sa.rotation("primary", [ann])
    before = sa.sql("SELECT count(*) AS n FROM schedules")
    bad = sa.admin.post(
        "/api/v1/schedules",
        json={"name": "", "time_zone": "Mars/Base", "combine": "first", "layers": []},
    )
    assert set(_fields(bad)) >= {"name", "time_zone", "combine", "layers"}
    missing = sa.admin.post(
        "/api/v1/schedules",
        json={"name": "x", "time_zone": "UTC", "combine": "union", "layers": [MISSING]},
    )
    assert _fields(missing) == ["layers"]
    twice = sa.admin.post(
        "/api/v1/schedules",
        json={"name": "x", "time_zone": "UTC", "combine": "union", "layers": [primary["id"]] * 2},
    )
    assert _fields(twice) == ["layers"]
    assert sa.sql("SELECT count(*) AS n FROM schedules") == before
    made = _schedule(sa, "Payments", [primary["id"]])
    assert _problem(
        sa.admin.post(
            "/api/v1/schedules",
            json={
                "name": "payments",
                "time_zone": "UTC",
                "combine": "union",
                "layers": [primary["id"]],
            },
        ),
        409,
    )
    assert _problem(sa.reader.get(f"/api/v1/schedules/{MISSING}"), 404)
    assert _problem(sa.reader.delete(f"/api/v1/schedules/{made['id']}"), 403)
    too_long = sa.reader.get(
        f"/api/v1/schedules/{made['id']}/coverage",
        params={"since": _z(T0), "until": _z(T0 + 367 * DAY)},
    )
    assert _fields(too_long) == ["until"]
    assert sa.admin.delete(f"/api/v1/schedules/{made['id']}").status_code == 204
    assert _problem(sa.reader.get(f"/api/v1/schedules/{made['id']}/history"), 404)


def test_follow_the_sun_coverage_over_the_api(sa: Api) -> None:
    hours = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]
    layers = []
    for name, zone in [
        ("APAC", "Asia/Singapore"),
        ("EMEA", "Europe/London"),
        ("AMER", "America/New_York"),
    ]:
        rotation = sa.rotation(
            name,
            [sa.user(name.lower())],
            type="weekly",
            start="2026-01-05T09:00:00",
            time_zone=zone,
            active_hours=hours,
        )
        layers.append(rotation["id"])
    schedule = _schedule(sa, "Follow the sun", layers, time_zone="UTC")
    monday = datetime(2026, 3, 9, tzinfo=UTC)  # New York on summer time, London not yet
    found = sa.reader.get(
        f"/api/v1/schedules/{schedule['id']}/coverage",
        params={"since": _z(monday), "until": _z(monday + 7 * DAY)},
    ).json()
    assert found["gaps"][1] == {"start": _z(monday + 21 * H), "end": _z(monday + DAY + H)}
    assert found["clock_change_weeks"] == []  # no change inside this week
    spring = sa.reader.get(
        f"/api/v1/schedules/{schedule['id']}/coverage",
        params={"since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z"},
    ).json()
    assert [(w["start"][:10], w["zones"]) for w in spring["clock_change_weeks"]] == [
        ("2026-03-02", ["America/New_York"]),
        ("2026-03-23", ["Europe/London"]),
    ]


def test_a_writer_of_a_layer_rotation_runs_its_schedules_in_its_transaction(sa: Api) -> None:
    """An override of a layer's rotation changes the schedule's timeline: the writer queues
    the schedule's job now (its waiting job brought forward), never touching the schedule's
    own rows; a schedule's own write drops its waiting job for the dispatcher to remake."""
    ann, bo = sa.user("Ann"), sa.user("Bo")
    primary = sa.rotation("primary", [ann])
    schedule = _schedule(sa, "Payments", [primary["id"]])
    lock = f"schedule:{schedule['id']}"
    jobs = (
        "SELECT scheduled_at FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo'"
    )
    assert sa.sql(jobs, lock) == []
    sa.sql(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args, scheduled_at)"
        " VALUES ('rotations', 'update_schedules', %s, '{}', %s)",
        lock,
        T0 + DAY,
    )
    covered = sa.admin.post(
        f"/api/v1/rotations/{primary['id']}/overrides",
        json={"start": _z(T0 + H), "end": _z(T0 + 2 * H), "user_id": bo},
    )
    assert covered.status_code == 201, covered.text
    assert sa.sql(jobs, lock) == [{"scheduled_at": None}]
    sa.sql("DELETE FROM procrastinate_jobs WHERE queueing_lock = %s", lock)
    sa.admin.patch(f"/api/v1/rotations/{primary['id']}", json={"description": "edited"})
    assert sa.sql(jobs, lock) == [{"scheduled_at": None}]
    renamed = sa.admin.patch(f"/api/v1/schedules/{schedule['id']}", json={"name": "Pay"})
    assert renamed.status_code == 200
    assert sa.sql(jobs, lock) == []
    state = sa.sql("SELECT next_run_at, job_id FROM schedule_state")
    assert state == [{"next_run_at": T0 + H, "job_id": None}]
