"""A person signs in as themselves with their email and local password (people.md) and acts
with their role as it is now; failures are limited per address and per account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from handoff.notify import channels
from handoff.store import accounts, passwords, users
from handoff.store.db import connect
from handoff.web.limit import MAX_FAILURES

from .client import Browser, csrf
from .conftest import Web

PASSWORD = "correct horse battery"


def _person(web: Web, name: str, email: str, role: str | None) -> UUID:
    async def make(conn: Any) -> UUID:
        made = await users.create(conn, name, email, now=web.clock.now())
        await accounts.set_role(conn, made.id, role)
        await passwords.set_password(conn, made.id, PASSWORD, now=web.clock.now())
        return made.id

    user_id: UUID = web.run(make)
    return user_id


def _sql(web: Web, query: str, *args: object) -> list[dict[str, Any]]:
    with connect(web.db_url, autocommit=True) as conn:
        cur = conn.execute(query, args)
        return list(cur.fetchall()) if cur.description else []


def _sign_in(browser: Browser, email: str, password: str) -> Any:
    form = browser.client.get("/signin")
    data = {"csrf_token": csrf(form.text), "email": email, "password": password}
    response = browser.client.post("/signin/password", data=data)
    if response.status_code == 303:
        browser.csrf = csrf(browser.client.get("/rotations").text)
    return response


def test_a_reader_signs_in_as_themselves_and_reads(browser: Browser, web: Web) -> None:
    _person(web, "Ann", "ann@example.com", "reader")
    signed = _sign_in(browser, "ANN@example.com", PASSWORD)
    assert signed.status_code == 303 and signed.headers["location"] == "/"  # their own shifts
    page = browser.client.get("/rotations")
    assert page.status_code == 200 and "Signed in as Ann (reader)" in page.text
    refused = browser.client.post("/people", data={"csrf_token": browser.csrf, "name": "Bob"})
    assert refused.status_code == 403
    assert _sql(web, "SELECT count(*) AS n FROM users")[0]["n"] == 1


def test_an_admin_acts_as_admin_until_they_lose_the_role(browser: Browser, web: Web) -> None:
    ann = _person(web, "Ann", "ann@example.com", "admin")
    _person(web, "Bob", "bob@example.com", "admin")
    assert _sign_in(browser, "ann@example.com", PASSWORD).status_code == 303
    made = browser.client.post("/people", data={"csrf_token": browser.csrf, "name": "Cid"})
    assert made.status_code == 303
    web.run(lambda conn: accounts.set_role(conn, ann, None))
    ended = browser.client.get("/rotations")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/signin")
    again = _sign_in(browser, "ann@example.com", PASSWORD)
    assert again.status_code == 401  # no role: cannot sign in


def test_wrong_passwords_and_unknown_emails_are_refused_alike(browser: Browser, web: Web) -> None:
    _person(web, "Ann", "ann@example.com", "reader")
    wrong = _sign_in(browser, "ann@example.com", "not the password")
    unknown = _sign_in(browser, "nobody@example.com", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "do not match anyone who may sign in" in response.text
        assert "handoff_session" not in response.headers.get("set-cookie", "")
    assert 'value="nobody@example.com"' in unknown.text  # the email stays typed


def test_a_password_sign_in_is_in_the_log_as_the_person(browser: Browser, web: Web) -> None:
    """Signing in as oneself is the person's entry (how: "password"), under their own name;
    a refused sign-in is nobody's write and leaves none (the rate limit counts it)."""
    ann = _person(web, "Ann Lee", "ann@example.com", "reader")
    assert _sign_in(browser, "ann@example.com", "not the password").status_code == 401
    assert _sql(web, "SELECT count(*) AS n FROM audit_log WHERE object_type = 'session'") == [
        {"n": 0}
    ]
    assert _sign_in(browser, "Ann@Example.com", PASSWORD).status_code == 303
    assert browser.client.post("/signout", data={"csrf_token": browser.csrf}).status_code == 303
    entries = _sql(
        web,
        "SELECT action, route, actor_user_id, actor_token_id, actor_name, after ->> 'method' AS how"
        " FROM audit_log WHERE object_type = 'session' ORDER BY id",
    )
    assert entries == [
        {"action": "session.sign_in", "route": "POST /signin/password", "actor_user_id": ann,
         "actor_token_id": None, "actor_name": "Ann Lee", "how": "password"},
        {"action": "session.sign_out", "route": "POST /signout", "actor_user_id": ann,
         "actor_token_id": None, "actor_name": "Ann Lee", "how": None},
    ]  # fmt: skip


def test_an_account_is_limited_whatever_the_address(browser: Browser, web: Web) -> None:
    _person(web, "Ann", "ann@example.com", "reader")
    for _ in range(MAX_FAILURES):  # failures from other addresses, within the window
        _sql(
            web,
            "INSERT INTO web_sign_in_failures (client, failed_at) VALUES (%s, %s)",
            "account:ann@example.com",
            web.clock.now(),
        )
    limited = _sign_in(browser, "Ann@Example.com", PASSWORD)  # even the right password
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert re.search(r"Too many failed sign-ins for this account", limited.text)
    assert _sign_in(browser, "bob@example.com", "whatever it is").status_code == 401


def test_passwords_are_stored_as_argon2_hashes_only(web: Web) -> None:
    ann = _person(web, "Ann", "ann@example.com", "reader")
    [row] = _sql(web, "SELECT hash FROM user_passwords WHERE user_id = %s", ann)
    assert row["hash"].startswith("$argon2id$") and PASSWORD not in row["hash"]


def test_a_responder_manages_their_own_reminders_and_feed_only(
    browser: Browser, web: Web, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    ann = _person(web, "Ann", "ann@example.com", "responder")
    bob = web.user("Bob")

    async def channel(conn: Any) -> UUID:
        made, _ = await channels.create_channel(
            conn, "pager", "webhook", f"http://127.0.0.1:{closed_port}/pager"
        )
        return made.id

    channel_id = web.run(channel)
    assert _sign_in(browser, "ann@example.com", PASSWORD).status_code == 303
    own = browser.client.get(f"/people/{ann}").text
    assert f'action="/people/{ann}/reminders"' in own and f'action="/people/{ann}/feed"' in own
    other = browser.client.get(f"/people/{bob}").text
    assert f'action="/people/{bob}/reminders"' not in other and "ask one" in other
    remind = {"csrf_token": browser.csrf, "channel_id": str(channel_id), "before_minutes": "30"}
    assert browser.client.post(f"/people/{bob}/reminders", data=remind).status_code == 403
    assert browser.client.post(f"/people/{ann}/reminders", data=remind).status_code == 303
    [reminder] = _sql(web, "SELECT id, user_id FROM notify_reminders")
    assert reminder["user_id"] == ann
    token = {"csrf_token": browser.csrf}
    assert browser.client.post(f"/people/{bob}/feed", data=token).status_code == 403
    made = browser.client.post(f"/people/{ann}/feed", data=token)
    assert made.status_code == 303  # the link is shown once, by the page it redirects to
    assert 'id="feed-url"' in browser.client.get(made.headers["location"]).text
    removed = browser.client.post(f"/people/{ann}/reminders/{reminder['id']}/remove", data=token)
    assert removed.status_code == 303
    assert browser.client.post("/people", data=token | {"name": "Cid"}).status_code == 403


def test_a_responder_covers_shifts_themselves_in_the_ui(browser: Browser, web: Web) -> None:
    ann = _person(web, "Ann", "ann@example.com", "responder")
    cid = _person(web, "Cid", "cid@example.com", "reader")
    bob = web.user("Bob")
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    rotation = web.rotation("primary", "weekly", start, "UTC", [bob, ann])
    assert _sign_in(browser, "ann@example.com", PASSWORD).status_code == 303
    assert "Cover this shift" in browser.client.get(f"/rotations/{rotation.id}").text
    form = browser.client.get(f"/rotations/{rotation.id}/overrides/new")
    assert form.status_code == 200
    [picker] = re.findall(r'<select id="user_id".*?</select>', form.text, re.DOTALL)
    assert f'<option value="{ann}"' in picker and f'<option value="{bob}"' not in picker
    assert 'value="nobody"' not in picker
    day = web.clock.now() + timedelta(days=2)
    cover = {
        "csrf_token": browser.csrf,
        "start": day.strftime("%Y-%m-%dT09:00"),
        "end": day.strftime("%Y-%m-%dT12:00"),
    }
    for someone in (str(bob), "nobody"):
        theirs = browser.client.post(
            f"/rotations/{rotation.id}/overrides", data=cover | {"user_id": someone}
        )
        assert theirs.status_code == 403
    mine = browser.client.post(
        f"/rotations/{rotation.id}/overrides", data=cover | {"user_id": str(ann)}
    )
    assert mine.status_code == 303, mine.text
    assert _sql(web, "SELECT user_id FROM overrides") == [{"user_id": ann}]
    reader = Browser(web)
    assert _sign_in(reader, "cid@example.com", PASSWORD).status_code == 303
    assert cid and "Cover this shift" not in reader.client.get(f"/rotations/{rotation.id}").text
    assert reader.client.get(f"/rotations/{rotation.id}/overrides/new").status_code == 403
    reader.client.close()
