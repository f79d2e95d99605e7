"""The audit log through the API (people.md): every write route of the app leaves an entry
naming its route, its writer, the object, before and after; GET /api/v1/audit reads them.

The write routes come from the app itself and each must be in WRITES (or be one of the POSTs
that change nothing): a new write route without an entry here fails, and one whose write is
not audited fails its walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import Api
from .test_auth import ROUTES, _person_tokens

# POSTs that store nothing: a preview computes a projection, a channel's test sends a message
# straight to it and answers with what came back.
READ_ONLY = {
    ("POST", "/api/v1/rotations/preview"),
    ("POST", "/api/v1/channels/{channel_id}/test"),
}


@dataclass(frozen=True)
class World:
    """One of everything a write route can name."""

    ids: dict[str, str]

    def path(self, template: str) -> str:
        ids = self.ids
        if template.startswith("/api/v1/schedules/"):  # the schedule's own override, subscription
            ids = ids | {k: ids[f"schedule_{k}"] for k in ("override_id", "subscription_id")}
        return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


def _world(api: Api) -> World:
    ann, bo = api.user("Ann"), api.user("Bo")
    rotation = api.rotation("walk", [ann, bo])
    base = f"/api/v1/rotations/{rotation['id']}"
    cover = {"start": "2026-03-03T11:00:00Z", "end": "2026-03-03T12:00:00Z", "user_id": bo}
    override = api.admin.post(f"{base}/overrides", json=cover).json()["id"]
    change = {"effective_at": "2026-03-05T09:00:00Z", "changes": {"shift_length": 2}}
    change_id = api.admin.post(f"{base}/changes", json=change).json()["id"]
    channel = {"name": "walk", "kind": "webhook", "target": "http://127.0.0.1:9/walk"}
    channel_id = api.admin.post("/api/v1/channels", json=channel).json()["id"]
    other = {"name": "walk-b", "kind": "webhook", "target": "http://127.0.0.1:9/b"}
    other_channel = api.admin.post("/api/v1/channels", json=other).json()["id"]
    subscribed = api.admin.post(f"{base}/subscriptions", json={"channel_id": channel_id})
    remind = {"channel_id": channel_id, "before_minutes": 60}
    reminder = api.admin.post(f"/api/v1/users/{ann}/reminders", json=remind).json()["id"]
    api.admin.post(f"/api/v1/users/{ann}/feed-token")
    [delivery] = api.sql(
        "INSERT INTO notify_messages (channel_id, event_type, event_at, payload, status,"
        " finished_at) VALUES (%s, 'channel.test', now(), '{}', 'failed', now()) RETURNING id",
        channel_id,
    )
    # a swap of a future hour of somebody's own shift, and another hour for a new request
    later, again = _own_hour(api, base, "2026-03-04T09"), _own_hour(api, base, "2026-03-10T09")
    swap = api.admin.post(f"{base}/swaps", json=later).json()["id"]
    layered = {
        "name": "walk",
        "time_zone": "UTC",
        "combine": "priority",
        "layers": [rotation["id"]],
    }
    schedule = api.admin.post("/api/v1/schedules", json=layered).json()["id"]
    cover = {"start": "2026-03-06T11:00:00Z", "end": "2026-03-06T12:00:00Z", "user_id": bo}
    schedule_base = f"/api/v1/schedules/{schedule}"
    schedule_override = api.admin.post(f"{schedule_base}/overrides", json=cover).json()["id"]
    told = {"channel_id": channel_id}
    schedule_subscription = api.admin.post(f"{schedule_base}/subscriptions", json=told).json()["id"]
    api.sql("DELETE FROM procrastinate_jobs")
    api.sql("SELECT handoff_enqueue_rotations(ARRAY[%s::uuid])", rotation["id"])
    [job] = api.sql("SELECT id FROM procrastinate_jobs")
    return World(
        {
            "user_id": ann,
            "other_user_id": bo,
            "rotation_id": rotation["id"],
            "participant_id": rotation["participants"][0]["id"],
            "override_id": override,
            "change_id": change_id,
            "channel_id": channel_id,
            "other_channel_id": other_channel,
            "subscription_id": subscribed.json()["id"],
            "reminder_id": reminder,
            "delivery_id": str(delivery["id"]),
            "job_id": str(job["id"]),
            "swap_id": swap,
            "schedule_id": schedule,
            "schedule_override_id": schedule_override,
            "schedule_subscription_id": schedule_subscription,
            "swap_taker_id": bo if later["requester_id"] == ann else ann,
            "again_start": again["start"],
            "again_end": again["end"],
            "again_requester_id": again["requester_id"],
        }
    )


def _own_hour(api: Api, base: str, hour: str) -> dict[str, str]:
    """A swap request's body for the hour from `hour` (UTC), asked by whoever is on call then."""
    [shift] = api.reader.get(
        f"{base}/shifts", params={"since": f"{hour}:00:00Z", "until": f"{hour}:59:00Z"}
    ).json()["items"]
    return {"start": f"{hour}:00:00Z", "end": f"{hour}:59:00Z", "requester_id": shift["user_id"]}


Body = Callable[[World], Any]
# (method, route) -> (the action it records, its body); `None`: no body.
WRITES: dict[tuple[str, str], tuple[str, Body | None]] = {
    ("POST", "/api/v1/tokens"): ("token.create", lambda w: {"name": "laptop"}),
    ("POST", "/api/v1/users"): ("user.create", lambda w: {"name": "Cy"}),
    ("PATCH", "/api/v1/users/{user_id}"): ("user.update", lambda w: {"name": "Ann Lee"}),
    ("DELETE", "/api/v1/users/{user_id}"): ("user.delete", None),
    ("POST", "/api/v1/rotations"): (
        "rotation.create",
        lambda w: {
            "name": "second",
            "type": "daily",
            "start": "2026-03-01T09:00:00+01:00",
            "time_zone": "Europe/Berlin",
            "participants": [w.ids["user_id"]],
        },
    ),
    ("PATCH", "/api/v1/rotations/{rotation_id}"): (
        "rotation.update",
        lambda w: {"description": "the walk's"},
    ),
    ("DELETE", "/api/v1/rotations/{rotation_id}"): ("rotation.delete", None),
    ("POST", "/api/v1/rotations/{rotation_id}/participants"): (
        "participant.create",
        lambda w: {"user_id": w.ids["user_id"]},
    ),
    ("DELETE", "/api/v1/rotations/{rotation_id}/participants/{participant_id}"): (
        "participant.delete",
        None,
    ),
    ("POST", "/api/v1/users/{user_id}/feed-token"): ("feed_token.create", None),
    ("DELETE", "/api/v1/users/{user_id}/feed-token"): ("feed_token.update", None),
    ("POST", "/api/v1/rotations/{rotation_id}/overrides"): (
        "override.create",
        lambda w: {
            "start": "2026-03-04T11:00:00Z",
            "end": "2026-03-04T12:00:00Z",
            "user_id": w.ids["other_user_id"],
        },
    ),
    ("PATCH", "/api/v1/rotations/{rotation_id}/overrides/{override_id}"): (
        "override.update",
        lambda w: {"note": "longer"},
    ),
    ("DELETE", "/api/v1/rotations/{rotation_id}/overrides/{override_id}"): (
        "override.delete",
        None,
    ),
    ("POST", "/api/v1/rotations/{rotation_id}/changes"): (
        "change.create",
        lambda w: {"effective_at": "2026-03-06T09:00:00Z", "changes": {"shift_length": 3}},
    ),
    ("PATCH", "/api/v1/rotations/{rotation_id}/changes/{change_id}"): (
        "change.update",
        lambda w: {"note": "later"},
    ),
    ("DELETE", "/api/v1/rotations/{rotation_id}/changes/{change_id}"): ("change.delete", None),
    ("POST", "/api/v1/channels"): (
        "channel.create",
        lambda w: {"name": "ops", "kind": "webhook", "target": "http://127.0.0.1:9/ops"},
    ),
    ("PATCH", "/api/v1/channels/{channel_id}"): ("channel.update", lambda w: {"name": "walk2"}),
    ("DELETE", "/api/v1/channels/{channel_id}"): ("channel.delete", None),
    ("POST", "/api/v1/channels/{channel_id}/rotate-secret"): ("channel.update", None),
    ("POST", "/api/v1/rotations/{rotation_id}/subscriptions"): (
        "subscription.create",
        lambda w: {"channel_id": w.ids["other_channel_id"]},
    ),
    ("DELETE", "/api/v1/rotations/{rotation_id}/subscriptions/{subscription_id}"): (
        "subscription.delete",
        None,
    ),
    ("POST", "/api/v1/users/{user_id}/reminders"): (
        "reminder.create",
        lambda w: {"channel_id": w.ids["channel_id"], "before_minutes": 15},
    ),
    ("DELETE", "/api/v1/users/{user_id}/reminders/{reminder_id}"): ("reminder.delete", None),
    ("POST", "/api/v1/deliveries/{delivery_id}/retry"): ("delivery.update", None),
    ("POST", "/api/v1/jobs/{job_id}/retry"): ("job.retry", None),
    ("POST", "/api/v1/jobs/{job_id}/cancel"): ("job.cancel", None),
    ("POST", "/api/v1/rotations/{rotation_id}/swaps"): (
        "swap.create",
        lambda w: {k: w.ids[f"again_{k}"] for k in ("start", "end", "requester_id")},
    ),
    ("POST", "/api/v1/swaps/{swap_id}/take"): (
        "swap.update",
        lambda w: {"user_id": w.ids["swap_taker_id"]},
    ),
    ("DELETE", "/api/v1/swaps/{swap_id}"): ("swap.update", None),
    ("POST", "/api/v1/schedules"): (
        "schedule.create",
        lambda w: (
            {"name": "walk 2", "time_zone": "UTC", "combine": "union"}
            | {"layers": [w.ids["rotation_id"]]}
        ),
    ),
    ("PATCH", "/api/v1/schedules/{schedule_id}"): (
        "schedule.update",
        lambda w: {"description": "walked"},
    ),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): ("schedule.delete", None),
    ("POST", "/api/v1/schedules/{schedule_id}/overrides"): (
        "schedule_override.create",
        lambda w: (
            {"start": "2026-03-07T11:00:00Z", "end": "2026-03-07T12:00:00Z"}
            | {"user_id": w.ids["user_id"]}
        ),
    ),
    ("PATCH", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): (
        "schedule_override.update",
        lambda w: {"note": "walked"},
    ),
    ("DELETE", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): (
        "schedule_override.delete",
        None,
    ),
    ("POST", "/api/v1/schedules/{schedule_id}/subscriptions"): (
        "schedule_subscription.create",
        lambda w: {"channel_id": w.ids["other_channel_id"]},
    ),
    ("DELETE", "/api/v1/schedules/{schedule_id}/subscriptions/{subscription_id}"): (
        "schedule_subscription.delete",
        None,
    ),
}

WRITE_ROUTES = sorted((m, t) for m, t in ROUTES if m != "GET")


def test_every_write_route_is_walked() -> None:
    assert set(WRITE_ROUTES) == set(WRITES) | READ_ONLY, "add new write routes to WRITES"


@pytest.mark.parametrize(("method", "template"), sorted(WRITES))
def test_every_write_route_is_audited(
    api: Api, method: str, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    world = _world(api)
    action, body = WRITES[(method, template)]
    client, writer = api.admin, "test-admin"
    if template == "/api/v1/tokens":  # a person's own, with the person's token
        client, writer = api.anonymous, "Person admin"
        secret = _person_tokens(api)["admin"]
        client.headers["Authorization"] = f"Bearer {secret}"
    if template == "/api/v1/jobs/{job_id}/retry":
        api.sql("UPDATE procrastinate_jobs SET status = 'doing'")
    [mark] = api.sql("SELECT coalesce(max(id), 0) AS id FROM audit_log")
    try:
        answer = client.request(
            method, world.path(template), json=None if body is None else body(world)
        )
    finally:
        client.headers.pop("Authorization", None) if client is api.anonymous else None
    assert answer.status_code < 300, answer.text
    found = api.sql(
        "SELECT * FROM audit_log WHERE id > %s AND route = %s ORDER BY id",
        mark["id"],
        f"{method} {template}",
    )
    assert action in [e["action"] for e in found], found
    entry = next(e for e in found if e["action"] == action)
    assert (entry["via"], entry["actor_name"]) == ("api", writer)
    assert entry["actor_token_id"] is not None
    kind = action.partition(".")[2]
    assert (entry["before"] is None) == (kind == "create")
    assert (entry["after"] is None) == (kind == "delete")
    # secrets never appear in it: a hash or a signing key is only said to be there
    hidden = ("token_hash", "hash", "secret")
    for e in found:
        for row in (e["before"] or {}, e["after"] or {}):
            assert all(str(row[k]).startswith("(hidden") for k in hidden if row.get(k)), row


def test_the_log_reads_newest_first_filtered_and_paginated(api: Api) -> None:
    ann = api.user("Ann")
    rotation = api.rotation("primary", [ann])
    api.admin.patch(f"/api/v1/rotations/{rotation['id']}", json={"description": "one"})
    api.admin.patch(f"/api/v1/rotations/{rotation['id']}", json={"description": "two"})
    assert api.reader.get("/api/v1/audit").status_code == 403
    answer = api.admin.get(
        "/api/v1/audit",
        params={"object_type": "rotation", "object_id": rotation["id"], "limit": 2},
    )
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert [e["action"] for e in page["items"]] == ["rotation.update", "rotation.update"]
    newest = page["items"][0]
    assert newest["before"]["description"] == "one" and newest["after"]["description"] == "two"
    assert newest["actor"]["name"] == "test-admin" and newest["via"] == "api"
    assert newest["route"] == "PATCH /api/v1/rotations/{rotation_id}"
    rest = api.admin.get(
        "/api/v1/audit",
        params={
            "object_type": "rotation",
            "object_id": rotation["id"],
            "cursor": page["next_cursor"],
        },
    ).json()
    assert [e["action"] for e in rest["items"]] == ["rotation.create"]
    assert rest["next_cursor"] is None
    bad = api.admin.get("/api/v1/audit", params={"cursor": "nope"})
    assert bad.status_code == 422


def test_a_failed_write_leaves_no_entry(api: Api) -> None:
    api.user("Ann", "ann@example.com")
    [mark] = api.sql("SELECT max(id) AS id FROM audit_log")
    taken = api.admin.post("/api/v1/users", json={"name": "Ann2", "email": "ANN@example.com"})
    assert taken.status_code == 409
    assert api.sql("SELECT id FROM audit_log WHERE id > %s", mark["id"]) == []


def test_the_engine_writes_are_not_audited(api: Api) -> None:
    """Reads write nothing to the log, and neither does a write made with no writer named
    (the engine's connections): the log is the people's, the history the engine's."""
    ann = api.user("Ann")
    api.rotation("primary", [ann])
    before = api.sql("SELECT count(*) AS n FROM audit_log")[0]["n"]
    api.admin.get("/api/v1/rotations")
    api.sql("UPDATE rotations SET description = 'by the engine'")
    assert api.sql("SELECT count(*) AS n FROM audit_log")[0]["n"] == before


def test_the_history_names_who_made_each_manual_change(api: Api) -> None:
    """A history row written by someone's write names them; one the engine writes for an
    override (its start, its end) names the override's author, from the log."""
    ann, bo = api.user("Ann"), api.user("Bo")
    rotation = api.rotation("primary", [ann, bo])
    base = f"/api/v1/rotations/{rotation['id']}"
    cover = {"start": "2026-03-03T11:00:00Z", "end": "2026-03-03T12:00:00Z", "user_id": bo}
    override = api.admin.post(f"{base}/overrides", json=cover).json()["id"]
    removed = api.admin.delete(f"{base}/participants/{rotation['participants'][0]['id']}")
    assert removed.status_code == 204, removed.text
    # the engine's record of the override's start, written as the engine writes (no writer)
    api.sql(
        "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
        " override_id, to_user_id, to_user_name)"
        " VALUES (%s, '2026-03-03T11:00Z', '2026-03-03T11:00Z', 'override_started', 'queue',"
        " %s, %s, 'Bo')",
        rotation["id"],
        override,
        bo,
    )
    history = api.reader.get(f"{base}/history").json()["items"]
    by_cause = {h["cause"]: h["made_by"] for h in history}
    assert by_cause["override_started"] == "test-admin"
    assert by_cause["participant_removed"] == "test-admin"
