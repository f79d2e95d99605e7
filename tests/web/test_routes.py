"""The UI's HTTP behaviour without a browser: sessions, cookies, CSRF, roles, error pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from handoff.store import history, jobs, rotations, users

from .client import Browser
from .client import csrf as _csrf
from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)


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
    assert browser.sign_in(web.admin_token).headers["location"] == "/"
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
    for ui in ("/", "/signin", "/rotations", "/oncall", "/people", "/engine", "/static/{name}"):
        assert ui not in paths


def test_jobs_cancel_and_a_refused_retry_is_explained(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)

    async def waiting(conn: Any) -> list[jobs.Job]:
        # What a plain SQL writer's trigger does: queue a job for the rotation now.
        await conn.execute("SELECT handoff_enqueue_rotations(ARRAY[%s::uuid])", [rotation.id])
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


# The People page.

_ROW = re.compile(r'<tr id="person-([0-9a-f-]{36})".*?</tr>', re.S)
ZERO = "00000000-0000-0000-0000-000000000000"


def _rows(html: str) -> dict[str, str]:
    """Each person's table row by user id; a user listed twice fails here."""
    found = [(m.group(1), m.group(0)) for m in _ROW.finditer(html)]
    assert len({uid for uid, _ in found}) == len(found), "a person is listed twice"
    return dict(found)


def _cell(row: str, name: str) -> str:
    found = re.search(rf'<td class="{name}"[^>]*>(.*?)</td>', row, re.S)
    assert found, f"no {name} cell"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _users(web: Web) -> list[users.User]:
    async def read(conn: Any) -> list[users.User]:
        return (await users.list_users(conn, limit=100)).items

    result: list[users.User] = web.run(read)
    return result


def test_people_lists_each_person_once_with_rotations_and_who_is_on_call(
    browser: Browser, web: Web
) -> None:
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    # Ann twice in one rotation and on call there; in a second rotation where Bo is on call.
    web.rotation("primary", "weekly", START, "UTC", [ann, bo, ann])
    web.rotation("secondary", "daily", START, "UTC", [bo, ann])
    browser.sign_in(web.admin_token)
    html = browser.client.get("/people").text
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    assert nav.index("On call now") < nav.index(">People<") < nav.index("Engine")
    rows = _rows(html)
    assert list(rows) == [str(ann), str(bo), str(cy)]  # everyone, once, by name
    assert _cell(rows[str(ann)], "rotations-in") == "primary on call, secondary"
    assert _cell(rows[str(ann)], "on-call-now") == "yes"
    assert 'class="on-call-in">primary<' in rows[str(ann)]
    assert 'class="on-call-in">secondary<' not in rows[str(ann)]
    # Those a person is on call in come first (the page shows a few of each person's).
    assert _cell(rows[str(bo)], "rotations-in") == "secondary on call, primary"
    assert _cell(rows[str(bo)], "on-call-now") == "yes"
    assert 'class="on-call-in">secondary<' in rows[str(bo)]
    assert _cell(rows[str(cy)], "rotations-in") == "none"
    assert _cell(rows[str(cy)], "on-call-now") == "no"
    assert _cell(rows[str(cy)], "email") == "—"
    assert f'href="/people/{cy}/delete"' in rows[str(cy)]


def test_create_a_person_through_the_form(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    created = browser.client.post(
        "/people",
        data={"csrf_token": browser.csrf, "name": "  Dee Okafor ", "email": " dee@example.com "},
    )
    assert created.status_code == 303
    [dee] = _users(web)
    assert (dee.name, dee.email) == ("Dee Okafor", "dee@example.com")  # stripped by the store
    assert created.headers["location"] == f"/people#person-{dee.id}"
    no_email = browser.client.post(
        "/people", data={"csrf_token": browser.csrf, "name": "Eve", "email": "  "}
    )
    assert no_email.status_code == 303
    assert {u.name: u.email for u in _users(web)} == {"Dee Okafor": "dee@example.com", "Eve": None}
    rows = _rows(browser.client.get("/people").text)
    assert [_cell(r, "name") for r in rows.values()] == ["Dee Okafor", "Eve"]
    assert _cell(rows[str(dee.id)], "email") == "dee@example.com"


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("", "", "name", "must not be empty"),
        ("   ", "", "name", "must not be empty"),
        ("x" * (users.MAX_NAME + 1), "", "name", "must be 1 to 200 characters long"),
        ("Ann\0", "", "name", "must not contain NUL characters"),
        ("Ann", "not-an-address", "email", "must be an email address"),
        ("Ann", "a@", "email", "must be 3 to 320 characters long"),
        ("Ann", "a@" + "b" * (users.MAX_EMAIL - 1), "email", "must be 3 to 320 characters long"),
    ],
)
def test_a_refused_person_is_explained_next_to_the_field(
    browser: Browser, web: Web, name: str, email: str, field: str, message: str
) -> None:
    browser.sign_in(web.admin_token)
    response = browser.client.post(
        "/people", data={"csrf_token": browser.csrf, "name": name, "email": email}
    )
    assert response.status_code == 422
    assert re.search(rf'id="error-{field}"[^>]*>{re.escape(message)}<', response.text)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text)
    other = "email" if field == "name" else "name"
    assert re.search(rf'id="error-{other}"[^>]*><', response.text)  # only that field's message
    if email:
        assert f'value="{email}"' in response.text  # what was typed stays in the form
    assert _users(web) == []


def test_the_store_s_exact_limits_are_accepted(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    name = "n" * users.MAX_NAME
    email = "e" * (users.MAX_EMAIL - len("@example.com")) + "@example.com"
    for n, e in [(name, email), ("N", "a@b")]:
        response = browser.client.post(
            "/people", data={"csrf_token": browser.csrf, "name": n, "email": e}
        )
        assert response.status_code == 303, response.text
    assert sorted((u.name, u.email) for u in _users(web)) == [("N", "a@b"), (name, email)]


def test_deleting_a_person_on_call_hands_the_shift_over(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)  # Ann, Bo; Ann on call
    ann, bo = (p.user_id for p in rotation.participants)
    assert rotation.on_call_user_id == ann
    browser.sign_in(web.admin_token)
    confirm = browser.client.get(f"/people/{ann}/delete")
    assert confirm.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", confirm.text))
    assert "Ann leaves every rotation they are in" in text
    assert "primary on call now" in text
    assert "Where they are on call, the next participant takes over the rest of the shift" in text
    assert f'action="/people/{ann}/delete"' in confirm.text
    assert len(_participants(web, rotation.id)) == 2  # asking changed nothing

    deleted = browser.client.post(f"/people/{ann}/delete", data={"csrf_token": browser.csrf})
    assert deleted.headers["location"] == "/people"

    async def after(conn: Any) -> tuple[rotations.Rotation, list[history.Entry]]:
        found = await rotations.get(conn, rotation.id, now=web.clock.now())
        return found, (await history.history(conn, rotation.id, limit=10)).items

    now_rotation, entries = web.run(after)
    assert now_rotation.on_call_user_id == bo
    assert [p.user_id for p in now_rotation.participants] == [bo]
    removed = [e for e in entries if e.cause == "participant_removed"]
    assert [(e.from_user_id, e.from_user_name, e.to_user_id) for e in removed] == [(ann, "Ann", bo)]
    assert [u.name for u in _users(web)] == ["Bo"]
    assert list(_rows(browser.client.get("/people").text)) == [str(bo)]
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert 'id="on-call" class="on-call">Bo<' in page


def test_deleting_someone_off_call_and_in_no_rotation_says_so(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    bo = rotation.participants[1].user_id
    cy = web.user("Cy")
    browser.sign_in(web.admin_token)
    assert "not on call anywhere right now" in browser.client.get(f"/people/{bo}/delete").text
    assert "in no rotation, so nobody" in browser.client.get(f"/people/{cy}/delete").text
    dee = web.user("Dee")
    solo = web.rotation("solo", "daily", START, "UTC", [dee])
    alone = browser.client.get(f"/people/{dee}/delete").text
    assert "nobody else takes part, so nobody will be on call there" in alone
    assert browser.client.post(
        f"/people/{dee}/delete", data={"csrf_token": browser.csrf}
    ).is_redirect
    assert _participants(web, solo.id) == []
    for user_id in (bo, cy):
        done = browser.client.post(f"/people/{user_id}/delete", data={"csrf_token": browser.csrf})
        assert done.status_code == 303
    assert [p.user_id for p in _participants(web, rotation.id)] == [rotation.on_call_user_id]


def test_a_missing_person_is_a_404_page(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    for response in (
        browser.client.get(f"/people/{ZERO}/delete"),
        browser.client.post(f"/people/{ZERO}/delete", data={"csrf_token": browser.csrf}),
        browser.client.get("/people/not-an-id/delete"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


def test_a_reader_sees_people_but_no_write_controls_and_cannot_write(
    browser: Browser, web: Web
) -> None:
    rotation = _rotation(web)
    ann = rotation.participants[0].user_id
    browser.sign_in(web.reader_token)
    html = browser.client.get("/people").text
    assert len(_rows(html)) == 2
    main = html.split("<main>")[1]
    assert "<form" not in main and "/delete" not in main and "<input" not in main
    assert "New person" not in browser.client.get(f"/rotations/{rotation.id}").text
    assert browser.client.get(f"/people/{ann}/delete").status_code == 403
    create = browser.client.post(
        "/people", data={"csrf_token": browser.csrf, "name": "Mallory", "email": ""}
    )
    delete = browser.client.post(f"/people/{ann}/delete", data={"csrf_token": browser.csrf})
    for refused in (create, delete):
        assert refused.status_code == 403
        assert "reader token" in refused.text
    assert [u.name for u in _users(web)] == ["Ann", "Bo"]
    assert len(_participants(web, rotation.id)) == 2


def test_people_posts_without_the_session_s_csrf_token_are_refused(
    browser: Browser, web: Web
) -> None:
    rotation = _rotation(web)
    ann = rotation.participants[0].user_id
    browser.sign_in(web.admin_token)
    for url, data in [
        ("/people", {"name": "Mallory"}),
        (f"/people/{ann}/delete", {}),
    ]:
        for token in (None, "0" * 64):
            sent = data if token is None else data | {"csrf_token": token}
            refused = browser.client.post(url, data=sent)
            assert refused.status_code == 403, url
            assert "security token" in refused.text
    assert [u.name for u in _users(web)] == ["Ann", "Bo"]
    assert len(_participants(web, rotation.id)) == 2
    # The same requests with the session's token go through: the refusal was the token.
    ok = browser.client.post("/people", data={"name": "Mallory", "csrf_token": browser.csrf})
    assert ok.status_code == 303
    ok = browser.client.post(f"/people/{ann}/delete", data={"csrf_token": browser.csrf})
    assert ok.status_code == 303
    assert [u.name for u in _users(web)] == ["Bo", "Mallory"]


def test_the_rotation_page_links_to_a_new_person(browser: Browser, web: Web) -> None:
    rotation = _rotation(web)
    browser.sign_in(web.admin_token)
    html = browser.client.get(f"/rotations/{rotation.id}").text
    card = html[html.index("Add a participant") :]
    assert re.search(r'<a href="/people"[^>]*>New person…</a>', card)


def test_people_agree_with_on_call_now_before_the_engine_catches_up(
    browser: Browser, web: Web
) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    web.rotation("hourly", "hourly", START, "UTC", [ann, bo])
    browser.sign_in(web.admin_token)
    web.clock.offset = timedelta(hours=1)  # past a boundary no engine has processed
    rows = _rows(browser.client.get("/people").text)
    assert (_cell(rows[str(ann)], "on-call-now"), _cell(rows[str(bo)], "on-call-now")) == (
        "no",
        "yes",
    )
    oncall = browser.client.get("/oncall").text
    assert re.search(r'class="on-call"[^>]*>(<a [^>]*>)?Bo<', oncall)
