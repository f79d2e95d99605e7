"""/api/v1/engine and /api/v1/jobs: the status page's facts and the queue's admin actions."""

from __future__ import annotations

from datetime import timedelta

from .conftest import T0, Api

MISSING_JOB = 9_999_999


def _enqueue(api: Api, *rotation_ids: str) -> None:
    """Give rotations a waiting job as plain-SQL writers and the sweep do (an API write
    schedules the rotation itself and needs none)."""
    for rotation_id in rotation_ids:
        api.sql("SELECT handoff_enqueue_rotations(ARRAY[%s::uuid])", rotation_id)


def test_engine_status_reads_what_the_engines_leave(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    rotation = api.rotation("primary", [ann, bob])
    _enqueue(api, rotation["id"])
    empty = api.admin.get("/api/v1/engine").json()
    assert empty["mode"] == "none" and empty["workers"] == []
    assert empty["last_reconcile_at"] is None
    assert empty["last_reconcile_repairs"] is None
    assert empty["handoff_lag_seconds"] == {"p50": None, "p99": None}
    assert empty["jobs"] == {"todo": 1}
    api.sql(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (%s)", T0 - timedelta(seconds=1)
    )
    api.sql(
        "INSERT INTO engine_status (key, value, updated_at) VALUES ('sweep', %s, %s)",
        '{"repairs": 3}',
        T0 - timedelta(seconds=5),
    )
    api.sql("UPDATE procrastinate_jobs SET scheduled_at = %s", T0 - timedelta(seconds=30))
    for lag_ms in range(1, 101):
        boundary = T0 - timedelta(minutes=30, seconds=lag_ms)
        api.sql(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " to_participant_id, to_user_id, to_user_name)"
            " VALUES (%s, %s, %s, 'boundary', 'queue', %s, %s, 'Bob')",
            rotation["id"],
            boundary,
            boundary + timedelta(milliseconds=lag_ms),
            rotation["participants"][1]["id"],
            bob,
        )
    status = api.admin.get("/api/v1/engine").json()
    assert status["mode"] == "queue"
    assert len(status["workers"]) == 1
    assert status["workers"][0]["last_seen"] == "2026-03-02T09:29:59Z"
    assert status["workers"][0]["host"] is None
    assert status["last_reconcile_at"] == "2026-03-02T09:29:55Z"
    assert status["last_reconcile_repairs"] == 3
    assert status["oldest_due_job_age_seconds"] == 30.0
    lag = status["handoff_lag_seconds"]
    assert abs(lag["p50"] - 0.0505) < 1e-6
    assert 0.099 <= lag["p99"] <= 0.1
    api.sql("INSERT INTO engine_status (key, value, updated_at) VALUES ('batch', '{}', %s)", T0)
    assert api.admin.get("/api/v1/engine").json()["mode"] == "both"


def _job_id(api: Api, rotation_id: str) -> int:
    rows = api.sql(
        "SELECT id FROM procrastinate_jobs WHERE queueing_lock = %s", f"rotation:{rotation_id}"
    )
    job_id: int = rows[0]["id"]
    return job_id


def test_jobs_list_filter_and_pages(api: Api) -> None:
    ann = api.user("Ann")
    first = api.rotation("one", [ann])
    second = api.rotation("two", [ann])
    _enqueue(api, first["id"], second["id"])
    listed = api.admin.get("/api/v1/jobs").json()
    assert [j["rotation_ids"] for j in listed["items"]] == [[second["id"]], [first["id"]]]
    assert listed["items"][0]["status"] == "todo"
    only = api.admin.get("/api/v1/jobs", params={"rotation_id": first["id"]}).json()["items"]
    assert [j["id"] for j in only] == [_job_id(api, first["id"])]
    assert api.admin.get("/api/v1/jobs", params={"state": "failed"}).json()["items"] == []
    page = api.admin.get("/api/v1/jobs", params={"limit": 1}).json()
    rest = api.admin.get("/api/v1/jobs", params={"limit": 1, "cursor": page["next_cursor"]})
    assert page["items"] + rest.json()["items"] == listed["items"]
    assert api.admin.get("/api/v1/jobs", params={"state": "sleeping"}).status_code == 422
    assert api.admin.get("/api/v1/jobs", params={"rotation_id": "x"}).status_code == 422


def test_retry_and_cancel(api: Api) -> None:
    rotation = api.rotation("one", [api.user()])
    _enqueue(api, rotation["id"])
    job = _job_id(api, rotation["id"])
    refused = api.admin.post(f"/api/v1/jobs/{job}/retry")
    assert refused.status_code == 409  # waiting jobs are not retried
    api.sql("UPDATE procrastinate_jobs SET status = 'failed', attempts = 3 WHERE id = %s", job)
    retried = api.admin.post(f"/api/v1/jobs/{job}/retry")
    assert retried.status_code == 200
    assert retried.json()["status"] == "todo" and retried.json()["attempts"] == 4
    assert retried.json()["scheduled_at"] == "2026-03-02T09:30:00Z"
    cancelled = api.admin.post(f"/api/v1/jobs/{job}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.admin.post(f"/api/v1/jobs/{job}/cancel").status_code == 409
    assert api.admin.post(f"/api/v1/jobs/{MISSING_JOB}/retry").status_code == 404
    assert api.admin.post(f"/api/v1/jobs/{MISSING_JOB}/cancel").status_code == 404
    for bad in ("0", "x", str(2**63)):
        assert api.admin.post(f"/api/v1/jobs/{bad}/cancel").status_code == 422
