"""Operations and failure modes: health, readiness, metrics, problem+json for every error,
body limits, a database that goes away, and the OpenAPI document."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from fastapi import APIRouter

from handoff.api.limits import MAX_BODY_BYTES
from handoff.config import Settings
from handoff.http.app import create_app

from .conftest import Api, running
from .test_auth import app_routes

PROBLEM = "application/problem+json"


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["type"] == "about:blank"
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


def test_health_and_readiness(api: Api) -> None:
    assert api.anonymous.get("/healthz").json() == {"status": "ok"}
    assert api.anonymous.get("/readyz").json() == {"status": "ready"}
    (row,) = api.sql("SELECT version_num FROM alembic_version")
    api.sql("UPDATE alembic_version SET version_num = 'older'")
    try:
        body = _problem(api.anonymous.get("/readyz"), 503)
        assert "schema is not current" in str(body["detail"])
    finally:
        api.sql("UPDATE alembic_version SET version_num = %s", row["version_num"])
    assert api.anonymous.get("/readyz").status_code == 200


def test_metrics_are_prometheus_text_with_the_engine_names(api: Api) -> None:
    import handoff.engine.metrics  # noqa: F401  (registers the engine's metrics, as `up` does)

    response = api.anonymous.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in ("handoff_lag_seconds", "handoff_jobs", "handoff_handoffs_total"):
        assert name in response.text


def test_unknown_route_wrong_method_and_bad_json(api: Api) -> None:
    _problem(api.admin.get("/api/v1/nothing-here"), 404)
    wrong = api.admin.put("/api/v1/users")
    _problem(wrong, 405)
    assert set(wrong.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    broken = api.admin.post(
        "/api/v1/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert _problem(broken, 422)["errors"]
    not_object = api.admin.post("/api/v1/users", json=["Ann"])
    _problem(not_object, 422)
    surrogate = api.admin.post(
        "/api/v1/users",
        content=b'{"name": "a\\ud800b"}',
        headers={"content-type": "application/json"},
    )
    assert _problem(surrogate, 422)["errors"][0]["field"] == "name"
    stray = api.reader.get("/api/v1/oncall", params={"rotation": "primary"})
    assert _problem(stray, 422)["errors"] == [
        {"field": "rotation", "message": "is not a parameter of this route"}
    ]
    assert api.anonymous.get("/api/v1/oncall", params={"rotation": "x"}).status_code == 401
    literal = api.admin.patch("/api/v1/rotations/preview", json={})
    _problem(literal, 405)
    assert literal.headers["allow"] == "POST"


def test_body_size_limit(api: Api) -> None:
    big = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    _problem(
        api.admin.post("/api/v1/users", content=big, headers={"content-type": "application/json"}),
        413,
    )

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    _problem(
        api.admin.post(
            "/api/v1/users", content=chunks(), headers={"content-type": "application/json"}
        ),
        413,
    )
    assert api.sql("SELECT count(*) AS n FROM users")[0]["n"] == 0


def test_unexpected_errors_are_a_generic_500(database_url: str) -> None:
    broken = APIRouter()

    @broken.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_app(Settings(), database_url, routers=[broken])

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    response = asyncio.run(call())
    body = _problem(response, 500)
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["detail"] == "an internal error occurred; it has been logged"


def test_lost_races_are_409_or_503(database_url: str) -> None:
    racing = APIRouter()

    @racing.post("/fk")
    async def fk() -> None:
        raise psycopg.errors.ForeignKeyViolation("user went away")

    @racing.post("/deadlock")
    async def deadlock() -> None:
        raise psycopg.errors.DeadlockDetected("deadlock detected")

    app = create_app(Settings(), database_url, routers=[racing])

    async def call(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path)

    _problem(asyncio.run(call("/fk")), 409)
    _problem(asyncio.run(call("/deadlock")), 503)


def test_database_away_is_a_quick_503(closed_port: int) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{closed_port}/nothing"
    app = create_app(Settings(), dead)
    with running(app) as url:
        started = time.monotonic()
        response = httpx.get(
            f"{url}/api/v1/users", headers={"Authorization": "Bearer x"}, timeout=30
        )
        elapsed = time.monotonic() - started
        _problem(response, 503)
        assert elapsed < 8
        _problem(httpx.get(f"{url}/readyz", timeout=30), 503)
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200


@pytest.mark.parametrize("engine_state", ["silent", "checked_in", "stopped"])
def test_readiness_follows_the_engine(api: Api, engine_state: str) -> None:
    async def engine(stop: asyncio.Event) -> None:
        if engine_state != "stopped":
            await stop.wait()

    if engine_state == "checked_in":
        api.sql("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now())")
    settings = Settings(database_url=api.db_url)
    app = create_app(settings, api.db_url, engine_runner=engine)
    with running(app) as url:
        response = httpx.get(f"{url}/readyz", timeout=30)
    if engine_state == "checked_in":
        assert response.status_code == 200
    else:
        detail = str(_problem(response, 503)["detail"])
        assert ("stopped" if engine_state == "stopped" else "checked in") in detail


def test_openapi_describes_every_route(api: Api) -> None:
    document = api.anonymous.get("/openapi.json").json()
    described = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert described == set(app_routes())
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": "An API token."}
    assert schemes["calendarToken"]["in"] == "query"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            public = path in ("/healthz", "/readyz", "/metrics")
            assert ("security" in operation) != public, (method, path)
            for code, response in operation["responses"].items():
                if code[0] in "45":
                    assert list(response["content"]) == [PROBLEM], (method, path, code)
            if not public:
                assert {"401", "503"} <= set(operation["responses"]), (method, path)
            if method != "get" and not public and "preview" not in path:
                assert "403" in operation["responses"], (method, path)
    calendar = document["paths"]["/api/v1/rotations/{rotation_id}/calendar.ics"]["get"]
    assert {"calendarToken": []} in calendar["security"]


def test_dropped_connections_are_replaced(api: Api) -> None:
    """Pooled connections killed under the server (a database restart) cost no error."""
    assert api.reader.get("/api/v1/users").status_code == 200
    api.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    assert api.reader.get("/api/v1/users").status_code == 200
    assert api.anonymous.get("/readyz").status_code == 200
