"""The Audit page (people.md): admins see who changed what through any door; the rotation's
history names who made each manual change; readers are refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from .client import Browser
from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_the_audit_page_shows_each_change_and_filters(browser: Browser, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    rotation = web.rotation("primary", "daily", START, "UTC", [ann, bo])
    assert browser.sign_in(web.admin_token).status_code == 303
    r = f"/rotations/{rotation.id}"
    [bo_part] = [p for p in rotation.participants if p.user_id == bo]
    moved = browser.client.post(
        f"{r}/participants/{bo_part.id}/active", data={"csrf_token": browser.csrf}
    )
    assert moved.status_code == 303
    page = browser.client.get("/audit")
    assert page.status_code == 200
    assert "rotation_state.update" in page.text and "web-admin" in page.text
    assert "POST /rotations/{rotation_id}/participants/{participant_id}/active" in page.text
    assert 'href="/audit"' in browser.client.get("/rotations").text  # in the navigation

    filtered = browser.client.get(
        "/audit", params={"object_type": "rotation_state", "object_id": str(rotation.id)}
    )
    assert filtered.text.count("rotation_state.update") == 1
    none = browser.client.get("/audit", params={"object_type": "override"})
    assert "No changes recorded for this filter" in none.text
    bad = browser.client.get("/audit", params={"cursor": "nope", "actor_id": "x"})
    assert bad.status_code == 200 and "not a person" in bad.text

    history = browser.client.get(r).text
    assert "web-admin" in history  # the manual change names who made it


def test_readers_cannot_see_the_audit_page(browser: Browser, web: Web) -> None:
    assert browser.sign_in(web.reader_token).status_code == 303
    assert browser.client.get("/audit").status_code == 403
    assert 'href="/audit"' not in browser.client.get("/rotations").text


def test_signing_in_and_out_are_in_the_log_as_the_signer(browser: Browser, web: Web) -> None:
    """A token's sign-in and sign-out are the token's entries (how: "token"), one session's
    two entries share its name, which is neither the cookie nor its stored hash; the Audit
    page and the API show them."""
    assert browser.sign_in(web.admin_token).status_code == 303
    cookie = browser.client.cookies["handoff_session"]
    out = browser.client.post("/signout", data={"csrf_token": browser.csrf})
    assert out.status_code == 303
    assert browser.sign_in(web.admin_token).status_code == 303

    async def read(conn: Any) -> list[Any]:
        cur = await conn.execute(
            "SELECT action, object_id, route, via, actor_name, actor_token_id, before, after"
            " FROM audit_log WHERE object_type = 'session' ORDER BY id"
        )
        return list(await cur.fetchall())

    first, ended, second = web.run(read)
    token_id = first[5]
    assert token_id is not None
    assert first[:5] == ("session.sign_in", first[1], "POST /signin", "web", "web-admin")
    assert first[6] is None
    assert first[7] == {"method": "token", "token_id": str(token_id), "user_id": None}
    signed_out = ("session.sign_out", first[1], "POST /signout", "web", "web-admin", token_id)
    assert ended[:6] == signed_out
    assert ended[6]["token_id"] == str(token_id) and ended[6]["signed_in_at"]
    assert ended[7] is None
    assert second[0] == "session.sign_in" and second[1] != first[1]
    stored = hashlib.sha256(cookie.encode()).hexdigest()
    assert first[1] not in (cookie, stored) and first[1] not in stored

    page = browser.client.get("/audit", params={"object_type": "session"}).text
    assert page.count("session.sign_in") == 2 and page.count("session.sign_out") == 1
    api = browser.client.get(
        "/api/v1/audit",
        params={"object_type": "session", "object_id": first[1]},
        headers={"Authorization": f"Bearer {web.admin_token}"},
    )
    assert [e["action"] for e in api.json()["items"]] == ["session.sign_out", "session.sign_in"]
