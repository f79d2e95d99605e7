"""The notification routes over HTTP: secrets shown once, readers read, problems for mistakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from api.conftest import T0, Api
from api.test_schedules import _schedule
from handoff.engine import app as engine_app
from handoff.notify import jobs as notify_jobs
from handoff.store import status
from handoff.store.db import connect

from .conftest import Receiver
from .helpers import publish


def _webhook(api: Api, receiver: Receiver, name: str = "team") -> dict[str, object]:
    response = api.admin.post(
        "/api/v1/channels", json={"name": name, "kind": "webhook", "target": receiver.at("/h")}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_webhook_secret_is_shown_once_and_readers_never_see_it(
    api: Api, receiver: Receiver
) -> None:
    created = _webhook(api, receiver)
    secret = created["secret"]
    assert isinstance(secret, str) and secret.startswith("whsec_")
    for client in (api.admin, api.reader):
        listed = client.get("/api/v1/channels")
        assert listed.status_code == 200
        assert secret not in listed.text and "secret" not in listed.text
        one = client.get(f"/api/v1/channels/{created['id']}")
        assert one.status_code == 200 and "secret" not in one.json()
    assert api.reader.post(f"/api/v1/channels/{created['id']}/rotate-secret").status_code == 403
    rotated = api.admin.post(f"/api/v1/channels/{created['id']}/rotate-secret").json()["secret"]
    assert rotated != secret and rotated.startswith("whsec_")


def test_send_test_signs_with_the_current_secret(api: Api, receiver: Receiver) -> None:
    created = _webhook(api, receiver)
    answer = api.admin.post(f"/api/v1/channels/{created['id']}/test")
    assert answer.json() == {"delivered": True, "status_code": 204, "error": None}
    (request,) = receiver.to("/h")
    # Stamped at the engine's clock (the database's, T0 here), so checked against T0 rather
    # than by verify(), which compares the stamp with the host's clock.
    stamp = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    assert stamp == T0
    signed = Webhook(str(created["secret"])).sign(
        request.headers["webhook-id"], stamp, request.body
    )
    assert request.headers["webhook-signature"] == signed
    assert json.loads(request.body)["type"] == "channel.test"
    receiver.scripts["/h"] = lambda n: (500, {})
    failed = api.admin.post(f"/api/v1/channels/{created['id']}/test").json()
    assert failed == {"delivered": False, "status_code": 500, "error": "HTTP 500"}


@pytest.mark.parametrize(
    ("kind", "target", "fragment"),
    [
        ("webhook", "ftp://example.com/x", "http or https"),
        ("webhook", "http://user:pw@example.com/x", "user name or password"),
        ("slack", "not a url", "http or https"),
        ("webhook", "http://[oops/x", "not a valid URL"),
        ("webhook", "http://example.com:99999/x", "not a valid URL"),
        ("webhook", "http://" + "a" * 70 + ".example/x", "not a valid host name"),
        ("email", "nobody", "email address"),
        ("fax", "http://example.com", "'webhook', 'slack' or 'email'"),
    ],
)
def test_bad_targets_are_refused_with_a_problem(
    api: Api, receiver: Receiver, kind: str, target: str, fragment: str
) -> None:
    response = api.admin.post(
        "/api/v1/channels", json={"name": "x", "kind": kind, "target": target}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fragment in response.text
    assert api.admin.get("/api/v1/channels").json() == {"items": []}


def test_email_channels_need_an_smtp_server(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HANDOFF_SMTP_URL", raising=False)
    response = api.admin.post(
        "/api/v1/channels", json={"name": "mail", "kind": "email", "target": "ann@example.com"}
    )
    assert response.status_code == 422 and "HANDOFF_SMTP_URL" in response.text


def test_subscriptions_reminders_and_deliveries(api: Api, receiver: Receiver) -> None:
    channel = _webhook(api, receiver)
    ann = api.user("Ann")
    rotation = api.rotation("primary", [ann])
    path = f"/api/v1/rotations/{rotation['id']}/subscriptions"
    made = api.admin.post(path, json={"channel_id": channel["id"]})
    assert made.status_code == 201
    assert api.admin.post(path, json={"channel_id": channel["id"]}).status_code == 409
    assert api.reader.get(path).json()["items"] == [made.json()]
    assert api.reader.post(path, json={"channel_id": channel["id"]}).status_code == 403
    missing = "00000000-0000-0000-0000-000000000000"
    assert api.admin.post(path, json={"channel_id": missing}).status_code == 404
    assert api.admin.get(f"/api/v1/rotations/{missing}/subscriptions").status_code == 404

    reminders = f"/api/v1/users/{ann}/reminders"
    reminder = api.admin.post(reminders, json={"channel_id": channel["id"], "before_minutes": 60})
    assert reminder.status_code == 201 and reminder.json()["before_minutes"] == 60
    too_far = api.admin.post(reminders, json={"channel_id": channel["id"], "before_minutes": 10081})
    assert too_far.status_code == 422
    assert api.reader.get(reminders).json()["items"] == [reminder.json()]
    gone = api.admin.delete(f"{reminders}/{reminder.json()['id']}")
    assert gone.status_code == 204 and api.reader.get(reminders).json()["items"] == []

    # A manual change of who is on call is a message; the deliveries list shows it.
    bo = api.user("Bo")
    api.admin.post(f"/api/v1/rotations/{rotation['id']}/participants", json={"user_id": bo})
    moved = api.admin.patch(f"/api/v1/rotations/{rotation['id']}", json={"active_index": 1})
    assert moved.status_code == 200, moved.text
    with connect(api.db_url, autocommit=True) as conn:
        assert publish(conn) == 1  # what a worker's sweep does within a second
    listed = api.reader.get("/api/v1/deliveries", params={"rotation_id": rotation["id"]})
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert items and items[0]["event"]["data"]["to_user"]["name"] == "Bo"
    assert items[0]["webhook_id"] == "msg_" + items[0]["id"].replace("-", "")
    bad = api.reader.get("/api/v1/deliveries", params={"status": "lost"})
    assert bad.status_code == 422
    retry = api.admin.post(f"/api/v1/deliveries/{missing}/retry")
    assert retry.status_code == 404
    assert api.admin.delete(f"{path}/{made.json()['id']}").status_code == 204


def test_disable_and_enable_a_channel(api: Api, receiver: Receiver) -> None:
    channel = _webhook(api, receiver)
    url = f"/api/v1/channels/{channel['id']}"
    off = api.admin.patch(url, json={"enabled": False})
    assert off.status_code == 200 and off.json()["disabled_at"] is not None
    on = api.admin.patch(url, json={"enabled": True})
    assert on.json()["disabled_at"] is None
    assert api.admin.patch(url, json={"target": "gopher://x"}).status_code == 422
    assert api.admin.delete(url).status_code == 204
    assert api.admin.get(url).status_code == 404


def test_a_failed_delivery_can_be_retried_and_a_delivered_one_not(
    api: Api, receiver: Receiver
) -> None:
    channel = _webhook(api, receiver)
    rows = api.sql(
        "INSERT INTO notify_messages (channel_id, event_type, event_at, payload, status,"
        " finished_at) SELECT %s::uuid, 'channel.test', now(), '{}', s, now()"
        " FROM unnest(ARRAY['failed', 'delivered']) s RETURNING id, status",
        channel["id"],
    )
    ids = {r["status"]: str(r["id"]) for r in rows}
    assert api.reader.post(f"/api/v1/deliveries/{ids['failed']}/retry").status_code == 403
    assert api.admin.post(f"/api/v1/deliveries/{ids['failed']}/retry").status_code == 202
    again = api.reader.get("/api/v1/deliveries", params={"status": "pending"}).json()["items"]
    assert [d["id"] for d in again] == [ids["failed"]]
    assert again[0]["next_attempt_at"] is not None
    refused = api.admin.post(f"/api/v1/deliveries/{ids['delivered']}/retry")
    assert refused.status_code == 409 and "delivered already" in refused.json()["detail"]


def test_readers_see_a_url_targets_host_only(api: Api, receiver: Receiver) -> None:
    secret_path = "/services/T000/B000/XXXXSECRET?x=1"
    made = api.admin.post(
        "/api/v1/channels",
        json={"name": "slack", "kind": "slack", "target": receiver.at(secret_path)},
    )
    assert made.status_code == 201
    mail = api.admin.post(
        "/api/v1/channels", json={"name": "mail", "kind": "webhook", "target": receiver.url}
    )
    assert mail.status_code == 201
    as_reader = {c["name"]: c["target"] for c in api.reader.get("/api/v1/channels").json()["items"]}
    assert as_reader == {"slack": receiver.url + "/…", "mail": receiver.url}
    one = api.reader.get(f"/api/v1/channels/{made.json()['id']}").json()
    assert "XXXXSECRET" not in one["target"]
    as_admin = api.admin.get(f"/api/v1/channels/{made.json()['id']}").json()
    assert as_admin["target"] == receiver.at(secret_path)


def test_the_engine_status_counts_deliveries_apart_from_rotation_updates(
    api: Api, receiver: Receiver
) -> None:
    """A rotation update waiting and a delivery waiting longer: the rotation fields keep their
    meaning (rotation updates only), the deliveries have their own counts."""
    channel = _webhook(api, receiver)
    rotation = api.rotation("primary", [api.user("Ann")])
    api.sql("SELECT handoff_enqueue_rotations(ARRAY[%s::uuid])", rotation["id"])
    api.sql(
        "SELECT handoff_notify_enqueue(jsonb_build_array(jsonb_build_object("
        "'channel_id', %s::text, 'rotation_id', %s::text)))",
        channel["id"],
        rotation["id"],
    )
    api.sql(
        "UPDATE procrastinate_jobs SET scheduled_at = handoff_now() - CASE queue_name"
        " WHEN 'rotations' THEN interval '10 seconds' ELSE interval '5 minutes' END"
    )
    status = api.admin.get("/api/v1/engine").json()
    assert status["jobs"] == {"todo": 1}
    assert status["notification_jobs"] == {"todo": 1}
    assert status["oldest_due_job_age_seconds"] == 10.0


def test_the_status_counts_name_the_queues_the_jobs_run_on() -> None:
    assert status.ROTATIONS_QUEUE == engine_app.QUEUE
    assert status.NOTIFICATIONS_QUEUE == notify_jobs.QUEUE


def test_a_channel_link_names_what_is_missing_or_taken(api: Api, receiver: Receiver) -> None:
    """Rotation and schedule subscriptions and reminders refuse alike (store.notify.link)."""
    channel = _webhook(api, receiver)
    ann = api.user("Ann")
    rotation = api.rotation("primary", [ann])
    schedule = _schedule(api, "Payments", [rotation["id"]])
    missing = "00000000-0000-4000-8000-000000000000"
    for owner, path, body, taken in [
        (
            "rotation",
            "/api/v1/rotations/{}/subscriptions",
            {},
            "the rotation is subscribed to that channel already",
        ),
        (
            "schedule",
            "/api/v1/schedules/{}/subscriptions",
            {},
            "the schedule is subscribed to that channel already",
        ),
        (
            "user",
            "/api/v1/users/{}/reminders",
            {"before_minutes": 30},
            "that reminder exists already",
        ),
    ]:
        owner_id = {"rotation": rotation["id"], "schedule": schedule["id"], "user": ann}[owner]
        linked = {"channel_id": channel["id"]} | body
        nowhere = api.admin.post(path.format(missing), json=linked)
        assert (nowhere.status_code, nowhere.json()["detail"]) == (404, f"no {owner} {missing}")
        nothing = api.admin.post(path.format(owner_id), json=linked | {"channel_id": missing})
        assert (nothing.status_code, nothing.json()["detail"]) == (404, f"no channel {missing}")
        assert api.admin.post(path.format(owner_id), json=linked).status_code == 201
        again = api.admin.post(path.format(owner_id), json=linked)
        assert (again.status_code, again.json()["detail"]) == (409, taken)
