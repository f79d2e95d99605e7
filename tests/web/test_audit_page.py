"""The Audit page (people.md): admins see who changed what through any door; the rotation's
history names who made each manual change; readers are refused."""

from __future__ import annotations

from datetime import UTC, datetime

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
