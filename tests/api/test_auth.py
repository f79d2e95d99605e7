"""The auth matrix: no token, a bad token, a reader's and an admin's, and the tokens of
people with each role (people.md), on every route.

The routes come from the app itself, and each must be listed in ACCESS: a new route without
an entry fails here, so none can be added without deciding who may call it.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal
from uuid import UUID

import pytest
from fastapi.routing import APIRoute
from psycopg import AsyncConnection

from handoff.api.app import ROUTERS
from handoff.store import accounts, tokens, users

from .conftest import T0, Api

# cover: admins, and responders covering shifts themselves; self: admins, and a responder on
# their own person (reminders, feed); person: a person's token only (for themselves).
Access = Literal["public", "reader", "admin", "calendar", "person", "cover", "self"]
# A person's token acts with the person's role: an admin's as the admin token, a reader's as the
# reader token, a responder's as a reader's but for covering shifts and their own reminders and
# feed (the matrix's user is someone else: see test_responders_* for their own).
PERSON_ROLES = ("admin", "responder", "reader")
ACCESS: dict[tuple[str, str], Access] = {
    ("POST", "/api/v1/tokens"): "person",
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users"): "reader",
    ("GET", "/api/v1/users/{user_id}"): "reader",
    ("PATCH", "/api/v1/users/{user_id}"): "admin",
    ("DELETE", "/api/v1/users/{user_id}"): "admin",
    ("POST", "/api/v1/rotations"): "admin",
    ("GET", "/api/v1/rotations"): "reader",
    ("POST", "/api/v1/rotations/preview"): "reader",
    ("GET", "/api/v1/rotations/{rotation_id}"): "reader",
    ("PATCH", "/api/v1/rotations/{rotation_id}"): "admin",
    ("DELETE", "/api/v1/rotations/{rotation_id}"): "admin",
    ("POST", "/api/v1/rotations/{rotation_id}/participants"): "admin",
    ("DELETE", "/api/v1/rotations/{rotation_id}/participants/{participant_id}"): "admin",
    ("GET", "/api/v1/rotations/{rotation_id}/handoffs"): "reader",
    ("GET", "/api/v1/rotations/{rotation_id}/shifts"): "reader",
    ("GET", "/api/v1/rotations/{rotation_id}/history"): "reader",
    ("GET", "/api/v1/rotations/{rotation_id}/calendar.ics"): "calendar",
    ("GET", "/api/v1/users/{user_id}/calendar.ics"): "calendar",
    ("POST", "/api/v1/users/{user_id}/feed-token"): "self",
    ("DELETE", "/api/v1/users/{user_id}/feed-token"): "self",
    ("GET", "/api/v1/oncall"): "reader",
    ("GET", "/api/v1/overrides"): "reader",
    ("POST", "/api/v1/rotations/{rotation_id}/overrides"): "cover",
    ("GET", "/api/v1/rotations/{rotation_id}/overrides"): "reader",
    ("GET", "/api/v1/rotations/{rotation_id}/overrides/{override_id}"): "reader",
    ("PATCH", "/api/v1/rotations/{rotation_id}/overrides/{override_id}"): "admin",
    ("DELETE", "/api/v1/rotations/{rotation_id}/overrides/{override_id}"): "admin",
    ("POST", "/api/v1/rotations/{rotation_id}/changes"): "admin",
    ("GET", "/api/v1/rotations/{rotation_id}/changes"): "reader",
    ("GET", "/api/v1/rotations/{rotation_id}/changes/{change_id}"): "reader",
    ("PATCH", "/api/v1/rotations/{rotation_id}/changes/{change_id}"): "admin",
    ("DELETE", "/api/v1/rotations/{rotation_id}/changes/{change_id}"): "admin",
    ("POST", "/api/v1/channels"): "admin",
    ("GET", "/api/v1/channels"): "reader",
    ("GET", "/api/v1/channels/{channel_id}"): "reader",
    ("PATCH", "/api/v1/channels/{channel_id}"): "admin",
    ("DELETE", "/api/v1/channels/{channel_id}"): "admin",
    ("POST", "/api/v1/channels/{channel_id}/rotate-secret"): "admin",
    ("POST", "/api/v1/channels/{channel_id}/test"): "admin",
    ("GET", "/api/v1/rotations/{rotation_id}/subscriptions"): "reader",
    ("POST", "/api/v1/rotations/{rotation_id}/subscriptions"): "admin",
    ("DELETE", "/api/v1/rotations/{rotation_id}/subscriptions/{subscription_id}"): "admin",
    ("GET", "/api/v1/users/{user_id}/reminders"): "reader",
    ("POST", "/api/v1/users/{user_id}/reminders"): "self",
    ("DELETE", "/api/v1/users/{user_id}/reminders/{reminder_id}"): "self",
    ("GET", "/api/v1/deliveries"): "reader",
    ("POST", "/api/v1/deliveries/{delivery_id}/retry"): "admin",
    ("POST", "/api/v1/rotations/{rotation_id}/swaps"): "cover",
    ("GET", "/api/v1/swaps"): "reader",
    ("GET", "/api/v1/swaps/{swap_id}"): "reader",
    ("POST", "/api/v1/swaps/{swap_id}/take"): "cover",
    ("DELETE", "/api/v1/swaps/{swap_id}"): "self",
    ("GET", "/api/v1/engine"): "admin",
    ("GET", "/api/v1/jobs"): "admin",
    ("POST", "/api/v1/jobs/{job_id}/retry"): "admin",
    ("POST", "/api/v1/jobs/{job_id}/cancel"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/reports/oncall"): "reader",
    ("GET", "/api/v1/schedules"): "reader",
    ("POST", "/api/v1/schedules"): "admin",
    ("GET", "/api/v1/schedules/{schedule_id}"): "reader",
    ("PATCH", "/api/v1/schedules/{schedule_id}"): "admin",
    ("DELETE", "/api/v1/schedules/{schedule_id}"): "admin",
    ("GET", "/api/v1/schedules/{schedule_id}/oncall"): "reader",
    ("GET", "/api/v1/schedules/{schedule_id}/shifts"): "reader",
    ("GET", "/api/v1/schedules/{schedule_id}/coverage"): "reader",
    ("GET", "/api/v1/schedules/{schedule_id}/history"): "reader",
    ("GET", "/api/v1/schedules/{schedule_id}/calendar.ics"): "calendar",
    ("GET", "/api/v1/schedules/{schedule_id}/overrides"): "reader",
    ("POST", "/api/v1/schedules/{schedule_id}/overrides"): "admin",
    ("GET", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): "reader",
    ("PATCH", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): "admin",
    ("DELETE", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): "admin",
    ("GET", "/api/v1/schedules/{schedule_id}/subscriptions"): "reader",
    ("POST", "/api/v1/schedules/{schedule_id}/subscriptions"): "admin",
    ("DELETE", "/api/v1/schedules/{schedule_id}/subscriptions/{subscription_id}"): "admin",
}


def app_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves from its routers."""
    return sorted(
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    )


ROUTES = app_routes()


def test_every_route_has_an_access_rule() -> None:
    assert set(ROUTES) == set(ACCESS), "add new routes to ACCESS with who may call them"


def _path(api: Api, template: str, closed_port: int) -> str:
    """The route's path with real ids, so permitted reads succeed."""
    user = api.user("Matrix")
    rotation = api.rotation("matrix", [user])
    values = {
        "user_id": user,
        "rotation_id": rotation["id"],
        "participant_id": rotation["participants"][0]["id"],
        "job_id": "1",
    }
    base = f"/api/v1/rotations/{rotation['id']}"
    if "{override_id}" in template:
        cover = {"start": "2026-03-02T11:00:00Z", "end": "2026-03-02T12:00:00Z", "user_id": user}
        values["override_id"] = api.admin.post(f"{base}/overrides", json=cover).json()["id"]
    if any(f"{{{k}}}" in template for k in ("channel_id", "subscription_id", "reminder_id")):
        # a local receiver that is not there: nothing leaves the machine
        target = f"http://127.0.0.1:{closed_port}/matrix"
        channel = {"name": "matrix", "kind": "webhook", "target": target}
        made = api.admin.post("/api/v1/channels", json=channel)
        assert made.status_code == 201, made.text
        values["channel_id"] = made.json()["id"]
        subscribed = {"channel_id": values["channel_id"]}
        values["subscription_id"] = api.admin.post(f"{base}/subscriptions", json=subscribed).json()[
            "id"
        ]
        remind = {"channel_id": values["channel_id"], "before_minutes": 60}
        values["reminder_id"] = api.admin.post(
            f"/api/v1/users/{user}/reminders", json=remind
        ).json()["id"]
    values["delivery_id"] = "1"
    if "{swap_id}" in template:
        ask = {"start": "2026-03-03T09:00:00Z", "end": "2026-03-03T12:00:00Z", "requester_id": user}
        values["swap_id"] = api.admin.post(f"{base}/swaps", json=ask).json()["id"]
    if "{change_id}" in template:
        change = {"effective_at": "2026-03-05T09:00:00Z", "changes": {"shift_length": 2}}
        values["change_id"] = api.admin.post(f"{base}/changes", json=change).json()["id"]
    if template.startswith("/api/v1/schedules/"):  # the schedule's own override, subscription
        layered = {"name": "matrix", "time_zone": "UTC", "combine": "priority"}
        made = api.admin.post("/api/v1/schedules", json=layered | {"layers": [rotation["id"]]})
        values["schedule_id"] = made.json()["id"]
        schedule_base = f"/api/v1/schedules/{values['schedule_id']}"
        cover = {"start": "2026-03-06T11:00:00Z", "end": "2026-03-06T12:00:00Z", "user_id": user}
        made = api.admin.post(f"{schedule_base}/overrides", json=cover)
        values["override_id"] = made.json()["id"]
        if "channel_id" in values:
            told = {"channel_id": values["channel_id"]}
            made = api.admin.post(f"{schedule_base}/subscriptions", json=told)
            values["subscription_id"] = made.json()["id"]
    if template == "/api/v1/reports/oncall":  # its range is required
        return f"{template}?since=2026-03-01T00:00:00Z&until=2026-03-08T00:00:00Z"
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_auth_matrix(
    api: Api, method: str, template: str, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    access = ACCESS[(method, template)]
    path = _path(api, template, closed_port)
    bad = {"Authorization": "Bearer hoff_not-a-token"}

    def status(client_headers: dict[str, str] | None, client: str = "anonymous") -> int:
        http = getattr(api, client)
        return http.request(method, path, headers=client_headers, json=None).status_code

    if access == "public":
        assert status(None) == 200
        return
    anonymous = api.anonymous.request(method, path)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert status(bad) == 401
    reader = status(None, "reader")
    admin = status(None, "admin")
    people = {
        role: api.anonymous.request(
            method, path, headers={"Authorization": f"Bearer {secret}"}
        ).status_code
        for role, secret in _person_tokens(api).items()
    }
    if access == "person":
        assert (reader, admin) == (403, 403)  # service tokens belong to nobody
        assert all(code not in (401, 403) for code in people.values()), people
        return
    assert people["admin"] not in (401, 403)
    writes = ("admin", "cover", "self")
    assert (people["reader"] == 403) == (access in writes), people
    assert (people["responder"] == 403) == (access in ("admin", "self")), people
    if method == "GET" and access not in writes:
        assert people["reader"] == people["responder"] == 200
    assert admin not in (401, 403)
    if access in writes:
        assert reader == 403
    else:
        assert reader not in (401, 403)
    if method == "GET" and access != "admin":
        assert reader == 200
    if method == "GET":
        assert admin == 200
    if access == "calendar":
        assert api.anonymous.get(path, params={"token": api.reader_token}).status_code == 200
        assert api.anonymous.get(path, params={"token": "hoff_wrong"}).status_code == 401
    elif method == "GET":
        # only the calendar feed takes ?token=
        assert api.anonymous.get(path, params={"token": api.admin_token}).status_code == 401


def _person_tokens(api: Api) -> dict[str, str]:
    """A token of a person with each role."""

    async def make(conn: Any) -> dict[str, str]:
        made = {}
        for role in PERSON_ROLES:
            person = await users.create(conn, f"Person {role}", None, now=T0)
            await accounts.set_role(conn, person.id, role)
            _, made[role] = await tokens.create(conn, f"{role}'s", None, now=T0, user_id=person.id)
        return made

    async def run() -> dict[str, str]:
        async with await AsyncConnection.connect(api.db_url, autocommit=True) as conn:
            return await make(conn)

    return asyncio.run(run())


def test_revoked_token_is_refused(api: Api) -> None:
    assert api.reader.get("/api/v1/users").status_code == 200
    api.sql("UPDATE api_tokens SET revoked_at = now() WHERE name = 'test-reader'")
    assert api.reader.get("/api/v1/users").status_code == 401


def test_only_a_hash_is_stored(api: Api) -> None:
    rows = api.sql("SELECT token_hash FROM api_tokens WHERE name = 'test-admin'")
    assert len(rows[0]["token_hash"]) == 32
    assert api.admin_token.encode() not in bytes(rows[0]["token_hash"])


def test_responders_cover_shifts_themselves_and_manage_their_own_reminders_and_feed(
    api: Api, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    ann, bob = api.user("Ann"), api.user("Bob")
    api.admin.patch(f"/api/v1/users/{ann}", json={"role": "responder"})
    rotation = api.rotation("primary", [ann, bob])
    secret = _token_of(api, "ann's", ann)
    as_ann = {"Authorization": f"Bearer {secret}"}
    base = f"/api/v1/rotations/{rotation['id']}/overrides"
    cover = {"start": "2026-03-03T09:00:00Z", "end": "2026-03-03T12:00:00Z"}
    for someone in (bob, None):
        theirs = api.anonymous.post(base, json=cover | {"user_id": someone}, headers=as_ann)
        assert theirs.status_code == 403
    mine = api.anonymous.post(base, json=cover | {"user_id": ann}, headers=as_ann)
    assert mine.status_code == 201 and mine.json()["user_id"] == ann
    target = f"http://127.0.0.1:{closed_port}/pager"
    channel = {"name": "pager", "kind": "webhook", "target": target}
    channel_id = api.admin.post("/api/v1/channels", json=channel).json()["id"]
    remind = {"channel_id": channel_id, "before_minutes": 30}
    for user, expected in ((bob, 403), (ann, 201)):
        made = api.anonymous.post(f"/api/v1/users/{user}/reminders", json=remind, headers=as_ann)
        assert made.status_code == expected, made.text
    reminder = made.json()["id"]
    path = f"/api/v1/users/{ann}/reminders/{reminder}"
    assert api.anonymous.delete(path, headers=as_ann).status_code == 204
    assert api.anonymous.post(f"/api/v1/users/{ann}/feed-token", headers=as_ann).status_code == 201
    assert api.anonymous.post(f"/api/v1/users/{bob}/feed-token", headers=as_ann).status_code == 403
    assert (
        api.anonymous.delete(f"/api/v1/users/{ann}/feed-token", headers=as_ann).status_code == 204
    )
    assert api.anonymous.post("/api/v1/channels", json=channel, headers=as_ann).status_code == 403


def _token_of(api: Api, name: str, user_id: str) -> str:
    async def make() -> str:
        async with await AsyncConnection.connect(api.db_url, autocommit=True) as conn:
            _, secret = await tokens.create(conn, name, None, now=T0, user_id=UUID(user_id))
            return secret

    return asyncio.run(make())
