"""/api/v1/users: create, read, list with cursors, edit, delete with the removal rule."""

from __future__ import annotations

from .conftest import T0, Api


def test_create_and_get(api: Api) -> None:
    created = api.admin.post("/api/v1/users", json={"name": " Ann ", "email": "ann@example.com"})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Ann"
    assert body["email"] == "ann@example.com"
    assert body["created_at"] == "2026-03-02T09:30:00Z"
    assert api.reader.get(f"/api/v1/users/{body['id']}").json() == body


def test_validation_names_each_field(api: Api) -> None:
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "Ann", "email": "not-an-email"}, "email"),
        ({"name": "Ann", "extra": 1}, "extra"),
        ({"name": "x" * 201}, "name"),
    ]
    for body, field in cases:
        response = api.admin.post("/api/v1/users", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422 and problem["title"] == "Unprocessable Entity"
        assert field in [e["field"] for e in problem["errors"]], (body, problem)
    assert api.sql("SELECT count(*) AS n FROM users")[0]["n"] == 0


def test_unknown_and_malformed_ids(api: Api) -> None:
    missing = api.reader.get("/api/v1/users/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("no user")
    malformed = api.reader.get("/api/v1/users/not-a-uuid")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "user_id"
    assert api.admin.delete("/api/v1/users/00000000-0000-4000-8000-000000000000").status_code == 404


def test_list_pages_with_opaque_cursors(api: Api) -> None:
    names = ["Eve", "Ann", "Cid", "Bob", "Dee"]
    for name in names:
        api.user(name)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.reader.get("/api/v1/users", params=params).json()
        seen += [u["name"] for u in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(names)
    assert pages == 3
    assert len(api.reader.get("/api/v1/users").json()["items"]) == 5


def test_list_rejects_bad_limits_and_cursors(api: Api) -> None:
    for params in ({"limit": 0}, {"limit": 501}, {"cursor": "garbage!"}, {"cursor": "WyJ4Il0"}):
        response = api.reader.get("/api/v1/users", params=params)
        assert response.status_code == 422, params
    assert api.reader.get("/api/v1/users", params={"limit": 500}).status_code == 200


def test_patch(api: Api) -> None:
    user = api.user("Ann", "ann@example.com")
    renamed = api.admin.patch(f"/api/v1/users/{user}", json={"name": "Anna"})
    assert renamed.status_code == 200
    assert renamed.json()["email"] == "ann@example.com"
    cleared = api.admin.patch(f"/api/v1/users/{user}", json={"email": None})
    assert cleared.json() == renamed.json() | {"email": None}
    assert api.admin.patch(f"/api/v1/users/{user}", json={"name": ""}).status_code == 422
    gone = "00000000-0000-4000-8000-000000000000"
    assert api.admin.patch(f"/api/v1/users/{gone}", json={"name": "X"}).status_code == 404


def test_delete_hands_the_shift_to_the_next_participant(api: Api) -> None:
    ann, bob, cid = api.user("Ann"), api.user("Bob"), api.user("Cid")
    rotation = api.rotation("primary", [ann, bob, ann, cid])
    assert rotation["on_call_user_id"] == ann
    assert api.admin.delete(f"/api/v1/users/{ann}").status_code == 204
    after = api.reader.get(f"/api/v1/rotations/{rotation['id']}").json()
    assert [p["user_id"] for p in after["participants"]] == [bob, cid]
    assert after["on_call_user_id"] == bob
    assert after["active_index"] == 0
    assert after["shift_start"] == rotation["shift_start"]
    history = api.reader.get(f"/api/v1/rotations/{rotation['id']}/history").json()["items"]
    assert history[0]["cause"] == "participant_removed"
    assert history[0]["from_user_id"] == ann and history[0]["to_user_id"] == bob
    assert api.reader.get(f"/api/v1/users/{ann}").status_code == 404
    names = api.sql("SELECT from_user_name FROM handoffs WHERE cause = 'participant_removed'")
    assert names == [{"from_user_name": "Ann"}]
    processed = api.sql("SELECT processed_at FROM handoffs WHERE cause = 'participant_removed'")
    assert processed[0]["processed_at"] == T0
