"""The UI's HTTP behaviour without a browser: sessions, cookies, CSRF, roles, error pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from handoff.store import jobs, rotations

from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Browser:
    """An httpx client that signs in the way a browser does (cookies, the form's CSRF token)."""

    def __init__(self, web: Web, **headers: str) -> None:
        self.client = httpx.Client(base_url=web.url, follow_redirects=False, headers=headers)
        self.csrf = ""

    def sign_in(self, token: str) -> httpx.Response:
        form = self.client.get("/signin")
        response = self.client.post(
            "/signin", data={"csrf_token": _csrf(form.text), "token": token}
        )
        if response.status_code == 303:
            self.csrf = _csrf(self.client.get("/rotations").text)
        return response


@pytest.fixture
def browser(web: Web) -> Iterator[Browser]:
    b = Browser(web)
    yield b
    b.client.close()


def _rotation(web: Web) -> rotations.Rotation:
    ann, bo = web.user("Ann"), web.user("Bo")
    return web.rotation("primary", "weekly", START, "Europe/Berlin", [ann, bo])


def _participants(web: Web, rotation_id: Any) -> list[Any]:
    async def read(conn: Any) -> rotations.Rotation:
        return await rotations.get(conn, rotation_id, now=web.clock.now())

    return list(web.run(read).participants)


def test_root_goes_to_sign_in_then_to_the_rotations(browser: Browser, web: Web) -> None:
    assert browser.client.get("/").headers["location"] == "/signin"
    assert browser.client.get("/rotations").headers["location"] == "/signin"
    assert browser.sign_in(web.admin_token).headers["location"] == "/rotations"
    assert browser.client.get("/").headers["location"] == "/rotations"


def test_session_cookie_is_http_only_lax_and_secure_over_https(web: Web) -> None:
    plain = Browser(web)
    cookie = plain.sign_in(web.admin_token).headers["set-cookie"].lower()
    assert "handoff_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1, as behind a local TLS proxy; httpx
    # keeps Secure cookies for https URLs only, so the pre-session cookie is passed by hand.
    with httpx.Client(base_url=web.url, headers={"X-Forwarded-Proto": "https"}) as https:
        form = https.get("/signin")
        presession = form.headers["set-cookie"]
        assert "secure" in presession.lower()
        response = https.post(
            "/signin",
            data={"csrf_token": _csrf(form.text), "token": web.admin_token},
            headers={"Cookie": presession.split(";")[0]},
        )
    cookie = response.headers["set-cookie"].lower()
    assert "handoff_session=" in cookie and "secure" in cookie and "httponly" in cookie


def test_pages_cannot_be_framed_or_cached(browser: Browser) -> None:
    response = browser.client.get("/signin")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_token_is_a_message_not_a_session(browser: Browser) -> None:
    response = browser.sign_in("hoff_not-a-token")
    assert response.status_code == 401
    assert "That token is not valid" in response.text
    assert "handoff_session" not in response.headers.get("set-cookie", "")


def test_sign_in_without_its_csrf_token_is_refused(browser: Browser, web: Web) -> None:
    browser.client.get("/signin")
    response = browser.client.post("/signin", data={"token": web.admin_token})
    assert response.status_code == 403
    assert "handoff_session" not in response.headers.get("set-cookie", "")


def test_a_post_without_the_session_s_csrf_token_is_refused(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    victim = rotation.participants[0]
    browser.sign_in(web.admin_token)
    url = f"/rotations/{rotation.id}/participants/{victim.id}/remove"
    assert browser.client.post(url).status_code == 403
    assert browser.client.post(url, data={"csrf_token": "0" * 64}).status_code == 403
    forged = browser.client.post(url, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert "security token" in forged.text
    assert len(_participants(web, rotation.id)) == 2
    # The same request with the session's token goes through: the refusal was the token.
    done = browser.client.post(url, data={"csrf_token": browser.csrf})
    assert done.status_code == 303
    assert len(_participants(web, rotation.id)) == 1


def test_a_reader_sees_no_write_controls_and_cannot_write(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    browser.sign_in(web.reader_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert "/remove" not in page and "/move" not in page and "/active" not in page
    assert "New rotation" not in browser.client.get("/rotations").text
    assert browser.client.get("/rotations/new").status_code == 403
    assert browser.client.get(f"/rotations/{rotation.id}/edit").status_code == 403
    assert browser.client.get("/engine").status_code == 403
    victim = rotation.participants[0]
    refused = browser.client.post(
        f"/rotations/{rotation.id}/participants/{victim.id}/remove",
        data={"csrf_token": browser.csrf},
    )
    assert refused.status_code == 403
    assert "reader token" in refused.text
    assert len(_participants(web, rotation.id)) == 2


def test_mistakes_a_user_can_make_are_pages_not_500s(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    for url, status in [
        ("/rotations/not-an-id", 404),
        ("/rotations/00000000-0000-0000-0000-000000000000", 404),
        ("/rotations?q=" + "x" * 300, 400),
        ("/rotations?cursor=garbage", 200),
        ("/oncall?user=nobody", 200),
        ("/engine?state=exploded", 200),
        ("/static/NOTICE", 404),
    ]:
        response = browser.client.get(url)
        assert response.status_code == status, url
        assert response.headers["content-type"].startswith("text/html"), url
    assert (
        "is not a cursor this list returned" in browser.client.get("/rotations?cursor=garbage").text
    )
    assert "There is no user" in browser.client.get("/oncall?user=nobody").text
    # The list's periodic refresh sends an empty cursor on the first page: that is no cursor.
    assert "not a cursor" not in browser.client.get("/rotations/rows?q=&cursor=").text


def test_a_taken_name_is_shown_next_to_the_name_field(browser: Browser, web: Web) -> None:
    _rotation(web)
    browser.sign_in(web.admin_token)
    response = browser.client.post(
        "/rotations/new",
        data={
            "csrf_token": browser.csrf,
            "name": "primary",
            "type": "daily",
            "shift_length": "1",
            "start": "2026-01-05T09:00",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'id="error-name"[^>]*>a rotation named \S+primary\S+ already exists', response.text
    )
    assert "Hands off every day at 09:00 Europe/Berlin" in response.text


def test_an_expired_session_sends_htmx_polls_to_sign_in(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    browser.client.cookies.set("handoff_session", "hoff_revoked-or-made-up")
    response = browser.client.get(f"/rotations/{rotation.id}/live", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/signin"


def test_sign_out_ends_the_session(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    response = browser.client.post("/signout", data={"csrf_token": browser.csrf})
    assert response.headers["location"] == "/signin"
    assert 'handoff_session=""' in response.headers["set-cookie"]


def test_no_ui_route_is_in_the_openapi_document(browser: Browser) -> None:
    paths = browser.client.get("/openapi.json").json()["paths"]
    assert paths, "the API's routes are documented"
    for ui in ("/", "/signin", "/rotations", "/oncall", "/engine", "/static/{name}"):
        assert ui not in paths


def test_jobs_cancel_and_a_refused_retry_is_explained(browser: Browser, web: Web) -> None:
    _rotation(web)  # the triggers enqueue the new rotation's job

    async def waiting(conn: Any) -> list[jobs.Job]:
        return (await jobs.list_jobs(conn, state="todo", limit=10)).items

    [job] = web.run(waiting)
    browser.sign_in(web.admin_token)
    cancelled = browser.client.post(
        f"/engine/jobs/{job.id}/cancel", data={"csrf_token": browser.csrf, "state": "todo"}
    )
    assert cancelled.headers["location"] == "/engine?state=todo"

    async def status(conn: Any) -> str:
        return (await jobs.get(conn, job.id)).status

    assert web.run(status) == "cancelled"
    refused = browser.client.post(
        f"/engine/jobs/{job.id}/retry", data={"csrf_token": browser.csrf, "state": "failed"}
    )
    assert refused.status_code == 409
    assert "only failed or running jobs can retry" in refused.text
    missing = browser.client.post("/engine/jobs/999999/retry", data={"csrf_token": browser.csrf})
    assert missing.status_code == 404
    assert "No job 999999." in missing.text


def test_a_refused_change_is_explained_on_the_rotation_page(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    browser.sign_in(web.admin_token)
    url = f"/rotations/{rotation.id}/participants"
    for user_id, message in [
        ("garbage", "User_id: choose someone from the list."),
        ("00000000-0000-0000-0000-000000000000", "User_id: no user 00000000-"),
    ]:
        response = browser.client.post(url, data={"csrf_token": browser.csrf, "user_id": user_id})
        assert response.status_code == 422
        assert message in response.text
        assert 'id="on-call" class="on-call">Ann<' in response.text
    gone = browser.client.post(
        f"/rotations/{rotation.id}/participants/00000000-0000-0000-0000-000000000000/active",
        data={"csrf_token": browser.csrf},
    )
    assert gone.status_code == 404
    assert "No participant 00000000-0000-0000-0000-000000000000." in gone.text
    assert len(_participants(web, rotation.id)) == 2


def test_edit_saves_through_the_store_and_delete_removes(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    browser.sign_in(web.admin_token)
    form = browser.client.get(f"/rotations/{rotation.id}/edit").text
    assert 'value="2026-01-05T09:00"' in form  # 08:00 UTC read on Berlin's wall clock
    edited = browser.client.post(
        f"/rotations/{rotation.id}/edit",
        data={
            "csrf_token": browser.csrf,
            "name": "primary (Tokyo)",
            "type": "daily",
            "shift_length": "3",
            "start": "2026-01-05T10:00",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert edited.headers["location"] == f"/rotations/{rotation.id}"

    async def read(conn: Any) -> rotations.Rotation:
        return await rotations.get(conn, rotation.id, now=web.clock.now())

    saved = web.run(read)
    assert (saved.name, saved.type, saved.shift_length, saved.time_zone) == (
        "primary (Tokyo)",
        "daily",
        3,
        "Asia/Tokyo",
    )
    assert saved.start == datetime(2026, 1, 5, 1, tzinfo=UTC)
    assert saved.on_call_user_id == rotation.on_call_user_id

    deleted = browser.client.post(
        f"/rotations/{rotation.id}/delete", data={"csrf_token": browser.csrf}
    )
    assert deleted.headers["location"] == "/rotations"
    assert browser.client.get(f"/rotations/{rotation.id}").status_code == 404


def test_the_engine_page_shows_the_last_sweep_and_its_repairs(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    assert "never" in browser.client.get("/engine").text

    async def swept(conn: Any) -> None:
        await conn.execute(
            "INSERT INTO engine_status (key, value) VALUES ('sweep', '{\"repairs\": 2}')"
        )

    web.run(swept)
    page = browser.client.get("/engine").text
    assert "2 missed updates repaired" in page
