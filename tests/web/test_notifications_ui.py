"""The notifications page over HTTP: channels, their secret shown once, "send test", enable,
disable, delete with a confirmation, deliveries with attempts and retry, and the reader rules.

Targets are on 127.0.0.1 (HANDOFF_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8, as notify.md allows); the
test receiver is a real HTTP server there that answers each POST with a scripted status.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from handoff.store import notify

from .client import Browser
from .conftest import Web
from .screens import shoot


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A local receiver: `status` is what it answers, `paths` what it was sent."""
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    state: dict[str, Any] = {"status": 204, "paths": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            state["paths"].append(self.path)
            self.send_response(state["status"])
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _post(browser: Browser, url: str, **data: str) -> Any:
    return browser.client.post(url, data={"csrf_token": browser.csrf, **data})


def _channels(web: Web) -> list[notify.Channel]:
    result: list[notify.Channel] = web.run(notify.list_channels)
    return result


def _add(browser: Browser, name: str, kind: str, target: str) -> Any:
    return _post(browser, "/notifications/channels", name=name, kind=kind, target=target)


def test_adding_a_webhook_shows_its_secret_once(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    browser.sign_in(web.admin_token)
    added = _add(browser, "ops-hook", "webhook", receiver["url"] + "/hook")
    assert added.status_code == 303  # post/redirect/get: a refresh adds nothing
    [channel] = _channels(web)
    assert added.headers["location"] == f"/notifications#channel-{channel.id}"
    assert (channel.name, channel.kind) == ("ops-hook", "webhook")
    shown = browser.client.get("/notifications").text
    secret = re.search(r'class="channel-secret">([^<]+)<', shown)
    assert secret and secret.group(1).startswith("whsec_")
    assert "shown only this once" in shown
    again = browser.client.get("/notifications").text
    assert secret.group(1) not in again and "ops-hook" in again


def test_mistakes_show_next_to_their_field_and_change_nothing(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    browser.sign_in(web.admin_token)
    bad = _add(browser, "", "webhook", "gopher://x")
    assert bad.status_code == 422
    assert re.search(r'id="error-name" role="status">[^<]+<', bad.text)
    assert re.search(r'id="error-target" role="status">[^<]+<', bad.text)
    kind = _add(browser, "x", "pager", receiver["url"])
    assert kind.status_code == 422
    assert re.search(r'id="error-kind" role="status">must be one of', kind.text)
    assert _channels(web) == []
    assert _add(browser, "ops", "webhook", receiver["url"]).status_code == 303
    taken = _add(browser, "ops", "webhook", receiver["url"])
    assert taken.status_code == 409
    assert re.search(r'id="error-name" role="status">a channel named', taken.text)
    assert len(_channels(web)) == 1


def test_send_test_shows_what_the_receiver_answered(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"] + "/t")
    [channel] = _channels(web)
    browser.client.get("/notifications")  # the new webhook's secret, shown once
    ok = _post(browser, f"/notifications/channels/{channel.id}/test")
    assert ok.status_code == 303 and receiver["paths"] == ["/t"]  # a refresh sends nothing
    shown = browser.client.get(ok.headers["location"]).text
    assert "Test message to ops: delivered: the receiver answered HTTP 204." in shown
    assert receiver["paths"] == ["/t"]
    receiver["status"] = 500
    failed = _post(browser, f"/notifications/channels/{channel.id}/test")
    shown = browser.client.get(failed.headers["location"]).text
    assert "Test message to ops: not delivered: the receiver answered HTTP 500" in shown


def test_disable_enable_and_delete_after_confirming(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    off = _post(browser, f"/notifications/channels/{channel.id}/disable")
    assert off.status_code == 303
    assert _channels(web)[0].disabled_at is not None
    assert "disabled since" in browser.client.get("/notifications").text
    assert _post(browser, f"/notifications/channels/{channel.id}/enable").status_code == 303
    assert _channels(web)[0].disabled_at is None
    assert _post(browser, f"/notifications/channels/{channel.id}/sideways").status_code == 404
    confirm = browser.client.get(f"/notifications/channels/{channel.id}/delete")
    assert confirm.status_code == 200 and "Delete ops?" in confirm.text
    assert _channels(web), "asking deletes nothing"
    done = _post(browser, f"/notifications/channels/{channel.id}/delete")
    assert done.status_code == 303 and _channels(web) == []
    gone = _post(browser, f"/notifications/channels/{channel.id}/test")
    assert gone.status_code == 404


def _messages(web: Web, channel_id: Any) -> dict[str, str]:
    async def insert(conn: Any) -> dict[str, str]:
        cur = await conn.execute(
            "INSERT INTO notify_messages (channel_id, event_type, event_at, payload, status,"
            " finished_at) SELECT %s, 'channel.test', now(), '{}', s, now()"
            " FROM unnest(ARRAY['failed', 'delivered']) s RETURNING id, status",
            (channel_id,),
        )
        ids = {status: str(id_) for id_, status in await cur.fetchall()}
        await conn.execute(
            "INSERT INTO notify_attempts (message_id, at, outcome, status_code, error)"
            " VALUES (%s, now(), 'failed', 410, 'HTTP 410 Gone')",
            (ids["failed"],),
        )
        return ids

    result: dict[str, str] = web.run(insert)
    return result


def test_deliveries_show_their_attempts_and_a_failed_one_can_be_retried(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    ids = _messages(web, channel.id)
    listed = browser.client.get("/notifications").text
    row = listed.split(f'id="delivery-{ids["failed"]}"')[1].split("</tr>")[0]
    assert "HTTP 410" in row and "Retry" in row
    delivered = listed.split(f'id="delivery-{ids["delivered"]}"')[1].split("</tr>")[0]
    assert "Retry" not in delivered
    retried = _post(browser, f"/notifications/deliveries/{ids['failed']}/retry")
    assert retried.status_code == 303

    async def status(conn: Any) -> str:
        cur = await conn.execute(
            "SELECT status FROM notify_messages WHERE id = %s", (ids["failed"],)
        )
        return str((await cur.fetchone())[0])

    assert web.run(status) == "pending"
    refused = _post(browser, f"/notifications/deliveries/{ids['delivered']}/retry")
    assert refused.status_code == 409 and "delivered already" in refused.text


def test_a_reader_sees_redacted_targets_no_controls_and_cannot_post(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    admin = Browser(web)
    admin.sign_in(web.admin_token)
    _add(admin, "slack", "slack", receiver["url"] + "/services/T0/B0/XXSECRET")
    admin.client.close()
    [channel] = _channels(web)
    ids = _messages(web, channel.id)
    browser.sign_in(web.reader_token)
    seen = browser.client.get("/notifications")
    assert seen.status_code == 200 and "slack" in seen.text
    assert "XXSECRET" not in seen.text and receiver["url"] + "/…" in seen.text
    assert "Send test" not in seen.text and "Retry" not in seen.text
    assert 'action="/notifications/channels"' not in seen.text
    for url in (
        "/notifications/channels",
        f"/notifications/channels/{channel.id}/test",
        f"/notifications/channels/{channel.id}/disable",
        f"/notifications/channels/{channel.id}/delete",
        f"/notifications/deliveries/{ids['failed']}/retry",
    ):
        assert (
            _post(browser, url, name="x", kind="webhook", target=receiver["url"]).status_code == 403
        )
    assert browser.client.get(f"/notifications/channels/{channel.id}/delete").status_code == 403
    assert receiver["paths"] == [] and len(_channels(web)) == 1


def _rotation(web: Web) -> Any:
    ann = web.user("Ann")
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    return web.rotation("payments", "weekly", start, "Europe/Berlin", [ann]), ann


def test_a_rotation_subscribes_and_unsubscribes_a_channel(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    rotation, _ = _rotation(web)
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert f'hx-get="/rotations/{rotation.id}/subscriptions"' in page
    url = f"/rotations/{rotation.id}/subscriptions"
    none = _post(browser, url, channel_id="")
    assert none.status_code == 422
    assert 'id="error-channel_id" role="status">choose a channel<' in none.text
    missing = _post(browser, url, channel_id=str(uuid4()))
    assert missing.status_code == 409 and "no channel" in missing.text
    assert _post(browser, url, channel_id=str(channel.id)).status_code == 303
    twice = _post(browser, url, channel_id=str(channel.id))
    assert twice.status_code == 409 and "subscribed to that channel already" in twice.text
    fragment = browser.client.get(url, headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and ">ops</a>" in fragment
    [subscription] = web.run(lambda c: notify.list_subscriptions(c, rotation.id))
    removed = _post(browser, f"{url}/{subscription.id}/remove")
    assert removed.status_code == 303
    assert web.run(lambda c: notify.list_subscriptions(c, rotation.id)) == []
    assert _post(browser, f"{url}/{subscription.id}/remove").status_code == 404


def test_a_person_gets_and_loses_a_reminder(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    ann = web.user("Ann")
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    assert f'action="/people/{ann}/reminders"' in browser.client.get(f"/people/{ann}").text
    url = f"/people/{ann}/reminders"
    words = _post(browser, url, channel_id=str(channel.id), before_minutes="soon")
    assert words.status_code == 422
    assert re.search(r'id="error-before_minutes" role="status">must be a whole number', words.text)
    far = _post(browser, url, channel_id=str(channel.id), before_minutes="999999")
    assert far.status_code == 422
    assert 'id="error-before_minutes" role="status">must be between 0 and' in far.text
    nochannel = _post(browser, url, channel_id="", before_minutes="15")
    assert 'id="error-channel_id" role="status">choose a channel<' in nochannel.text
    assert web.run(lambda c: notify.list_reminders(c, ann)) == []
    assert _post(browser, url, channel_id=str(channel.id), before_minutes="15").status_code == 303
    person = browser.client.get(f"/people/{ann}").text
    assert person.count("15 minutes before each shift, by ops") == 1
    twice = _post(browser, url, channel_id=str(channel.id), before_minutes="15")
    assert twice.status_code == 409 and "exists already" in twice.text
    [reminder] = web.run(lambda c: notify.list_reminders(c, ann))
    assert _post(browser, f"{url}/{reminder.id}/remove").status_code == 303
    assert web.run(lambda c: notify.list_reminders(c, ann)) == []


def test_a_reader_sees_subscriptions_but_changes_none(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    rotation, ann = _rotation(web)
    admin = Browser(web)
    admin.sign_in(web.admin_token)
    _add(admin, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    url = f"/rotations/{rotation.id}/subscriptions"
    assert _post(admin, url, channel_id=str(channel.id)).status_code == 303
    admin.client.close()
    browser.sign_in(web.reader_token)
    seen = browser.client.get(url)
    assert seen.status_code == 200 and ">ops</a>" in seen.text
    assert "Unsubscribe" not in seen.text and "Subscribe</button>" not in seen.text
    assert _post(browser, url, channel_id=str(channel.id)).status_code == 403
    assert "Add reminder" not in browser.client.get(f"/people/{ann}").text
    assert browser.client.get(f"/people/{ann}/reminders").status_code == 403
    reminder = _post(
        browser, f"/people/{ann}/reminders", channel_id=str(channel.id), before_minutes="5"
    )
    assert reminder.status_code == 403


def test_the_pages_in_chromium_at_desktop_and_phone_width(
    page: Any, console: list[str], web: Web, receiver: dict[str, Any]
) -> None:
    rotation, ann = _rotation(web)
    page.goto("/signin")
    page.fill("#token", web.admin_token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/rotations$"))
    page.click("nav >> text=Notifications")
    page.fill("#name", "ops-hook")
    page.select_option("#kind", "webhook")
    page.fill("#target", receiver["url"] + "/hook")
    page.click("button:has-text('Add channel')")
    expect(page.locator(".channel-secret")).to_contain_text("whsec_")
    page.click("button:has-text('Send test')")
    expect(page.locator("#flash")).to_contain_text("the receiver answered HTTP 204")
    shoot(page, "notifications")
    page.goto(f"/rotations/{rotation.id}")
    page.select_option("#subscribe-channel", label="ops-hook (webhook)")
    page.click("button:has-text('Subscribe')")
    expect(page.locator("#subscriptions")).to_contain_text("ops-hook")
    expect(page.locator("#subscriptions button:has-text('Unsubscribe')")).to_be_visible()
    page.goto(f"/people/{ann}")
    page.select_option("#reminder-channel", label="ops-hook (webhook)")
    page.fill("#reminder-minutes", "30")
    page.click("button:has-text('Add reminder')")
    expect(page.locator(".reminders-of")).to_contain_text("30 minutes before each shift")
    expect(page.locator("li:has-text('30 minutes before each shift')")).to_have_count(1)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/notifications")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page scrolls sideways at {width} px"
    assert console == []


def test_an_admin_sees_each_reminder_once_on_the_person_page(
    page: Any, console: list[str], web: Web, receiver: dict[str, Any]
) -> None:
    """The list an admin manages is the list everyone sees, not a second copy loaded beside
    it; the admin's own reminders are not mixed into someone else's page."""
    ann, admin_self = web.user("Ann"), web.user("Admin")
    admin = Browser(web)
    admin.sign_in(web.admin_token)
    _add(admin, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    for who, minutes in ((ann, "15"), (ann, "60"), (admin_self, "30")):
        reminder = _post(
            admin, f"/people/{who}/reminders", channel_id=str(channel.id), before_minutes=minutes
        )
        assert reminder.status_code == 303
    admin.client.close()
    page.goto("/signin")
    page.fill("#token", web.admin_token)
    page.click("button:has-text('Sign in')")
    page.goto(f"/people/{ann}")
    listed = page.locator("section:has(#reminders-heading) li")
    expect(listed).to_have_count(2)
    expect(listed).to_have_text(
        [
            re.compile(r"^15 minutes before each shift, by ops \(webhook\)\s*Remove\s*$"),
            re.compile(r"^1 hour before each shift, by ops \(webhook\)\s*Remove\s*$"),
        ]
    )
    page.wait_for_load_state("networkidle")
    expect(listed).to_have_count(2)
    assert console == []


def test_the_engine_page_counts_deliveries_apart(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)

    async def enqueue(conn: Any) -> None:
        await conn.execute(
            "SELECT handoff_notify_enqueue(jsonb_build_array(jsonb_build_object("
            "'channel_id', %s::text, 'rotation_id', NULL)))",
            (str(channel.id),),
        )

    web.run(enqueue)
    page = browser.client.get("/engine?state=todo").text
    assert '<a class="chip selected" href="/engine?state=todo">todo <strong>0</strong></a>' in page
    assert "Notification deliveries (their own queue): todo <strong>1</strong>." in page
    assert '<td data-label="Queue">notifications</td>' in page


def test_each_delivery_says_what_it_was_about(
    browser: Browser, web: Web, receiver: dict[str, Any]
) -> None:
    """The deliveries list reads as the receiver did: rotation, from whom, to whom, when."""
    browser.sign_in(web.admin_token)
    _add(browser, "ops", "webhook", receiver["url"])
    [channel] = _channels(web)
    payload = {
        "type": "rotation.oncall_changed",
        "timestamp": "2026-12-07T08:00:00+00:00",
        "data": {
            "rotation": {"id": None, "name": "payments", "time_zone": "Europe/Berlin"},
            "at": "2026-12-07T08:00:00+00:00",
            "cause": "boundary",
            "from_user": {"id": None, "name": "Ann Lee", "email": None},
            "to_user": {"id": None, "name": "Bo Chen", "email": None},
            "override_id": None,
            "change_id": None,
            "next_change_at": "2026-12-14T08:00:00+00:00",
            "missed": 0,
        },
    }

    async def insert(conn: Any) -> str:
        cur = await conn.execute(
            "INSERT INTO notify_messages (channel_id, event_type, event_at, payload)"
            " VALUES (%s, 'rotation.oncall_changed', now(), %s) RETURNING id",
            (channel.id, json.dumps(payload)),
        )
        return str((await cur.fetchone())[0])

    message_id = web.run(insert)
    listed = browser.client.get("/notifications").text
    row = listed.split(f'id="delivery-{message_id}"')[1].split("</tr>")[0]
    assert "payments: Bo Chen is now on call (was Ann Lee) since" in row
