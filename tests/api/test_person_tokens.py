"""Tokens that belong to a person act with the person's role as it is now (people.md)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
from psycopg import AsyncConnection

from handoff.store import tokens

from .conftest import T0, Api


def _as(api: Api, secret: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {secret}"}
    return httpx.Client(base_url=str(api.anonymous.base_url), headers=headers)


def _token_of(api: Api, name: str, user_id: str) -> str:
    """A person's token as `handoff token create --user` makes it."""

    async def make() -> str:
        async with await AsyncConnection.connect(api.db_url, autocommit=True) as conn:
            _, secret = await tokens.create(conn, name, None, now=T0, user_id=UUID(user_id))
            return secret

    return asyncio.run(make())


def test_a_person_makes_a_token_that_acts_with_their_role(api: Api) -> None:
    ann = api.user("Ann")
    api.admin.patch(f"/api/v1/users/{ann}", json={"role": "admin"})
    bob = api.user("Bob")
    api.admin.patch(f"/api/v1/users/{bob}", json={"role": "reader"})
    first = _token_of(api, "bob's laptop", bob)
    with _as(api, first) as bob_client:
        made = bob_client.post("/api/v1/tokens", json={"name": "bob's ci"})
        assert made.status_code == 201
        body = made.json()
        assert (body["user_id"], body["role"], body["name"]) == (bob, "reader", "bob's ci")
        assert body["token"].startswith("hoff_")
        assert bob_client.get("/api/v1/users").status_code == 200
        assert bob_client.post("/api/v1/users", json={"name": "X"}).status_code == 403
    with _as(api, body["token"]) as ci:
        assert ci.get("/api/v1/rotations").status_code == 200
        api.admin.patch(f"/api/v1/users/{bob}", json={"role": "admin"})
        assert ci.post("/api/v1/users", json={"name": "Cid"}).status_code == 201  # role now
        api.admin.patch(f"/api/v1/users/{bob}", json={"role": None})
        assert ci.get("/api/v1/rotations").status_code == 401
    revoked = api.sql("SELECT name FROM api_tokens WHERE revoked_at IS NOT NULL ORDER BY name")
    assert revoked == [{"name": "bob's ci"}, {"name": "bob's laptop"}]
    api.admin.patch(f"/api/v1/users/{bob}", json={"role": "reader"})
    with _as(api, first) as again:
        assert again.get("/api/v1/users").status_code == 401  # revoked stays revoked


def test_service_tokens_cannot_make_tokens(api: Api) -> None:
    refused = api.admin.post("/api/v1/tokens", json={"name": "mine"})
    assert refused.status_code == 403 and "service token" in refused.json()["detail"]
    assert api.sql("SELECT count(*) AS n FROM api_tokens")[0]["n"] == 2


def test_a_deleted_persons_tokens_stop_working(api: Api) -> None:
    ann = api.user("Ann")
    api.admin.patch(f"/api/v1/users/{ann}", json={"role": "responder"})
    secret = _token_of(api, "ann's", ann)
    with _as(api, secret) as client:
        assert client.get("/api/v1/oncall").status_code == 200
        assert api.admin.delete(f"/api/v1/users/{ann}").status_code == 204
        assert client.get("/api/v1/oncall").status_code == 401
