"""What the pages say: messages after actions, the live part's ETag, people who share a name,
the on-call page's times, who is signed in, and what the engine page counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from handoff.store import status, users

from .client import Browser
from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
FLASH = re.compile(r'<p id="flash" class="flash" role="status" aria-live="polite">([^<]+)</p>')


def _flash(html: str) -> str | None:
    found = FLASH.search(html)
    return found.group(1) if found else None


def test_an_action_s_message_shows_once_on_the_next_page(browser: Browser, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    rotation = web.rotation("primary", "weekly", START, "UTC", [ann])
    browser.sign_in(web.admin_token)
    url = f"/rotations/{rotation.id}"
    assert _flash(browser.client.get(url).text) is None
    added = browser.client.post(
        f"{url}/participants", data={"csrf_token": browser.csrf, "user_id": str(bo)}
    )
    assert added.status_code == 303
    page = browser.client.get(url).text
    assert _flash(page) == "Added Bo."
    # The live part's poll does not use the message up; the next full page no longer shows it.
    browser.client.get(f"{url}/live", headers={"HX-Request": "true"})
    assert _flash(browser.client.get(url).text) is None
    [_, second] = _participants(browser, url)
    browser.client.post(f"{url}/participants/{second}/active", data={"csrf_token": browser.csrf})
    assert (
        _flash(browser.client.get(url).text)
        == "Bo is on call now, covering the rest of this shift."
    )
    browser.client.post(f"{url}/participants/{second}/remove", data={"csrf_token": browser.csrf})
    assert _flash(browser.client.get(url).text) == "Removed Bo from this rotation."


def _participants(browser: Browser, url: str) -> list[str]:
    return re.findall(r'data-participant="([0-9a-f-]{36})"', browser.client.get(url).text)


def test_the_live_part_answers_304_while_unchanged(browser: Browser, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    rotation = web.rotation("primary", "weekly", START, "UTC", [ann])
    browser.sign_in(web.admin_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    [shown] = re.findall(r'id="live"[^>]*data-etag="([^"]+)"', page)
    shown = shown.replace("&#34;", '"')
    live = f"/rotations/{rotation.id}/live"
    first = browser.client.get(live, headers={"HX-Request": "true"})
    assert first.status_code == 200 and first.headers["ETag"] == shown
    same = browser.client.get(live, headers={"HX-Request": "true", "If-None-Match": shown})
    assert same.status_code == 304 and same.content == b""
    browser.client.post(
        f"/rotations/{rotation.id}/participants",
        data={"csrf_token": browser.csrf, "user_id": str(bo)},
    )
    changed = browser.client.get(live, headers={"HX-Request": "true", "If-None-Match": shown})
    assert changed.status_code == 200 and changed.headers["ETag"] != shown
    assert "Bo" in changed.text


def test_the_rotations_list_answers_its_poll_with_304_while_unchanged(
    browser: Browser, web: Web
) -> None:
    ann = web.user("Ann")
    web.rotation("primary", "weekly", START, "UTC", [ann])
    browser.sign_in(web.admin_token)
    page = browser.client.get("/rotations").text
    [shown] = re.findall(r'id="rotation-rows"[^>]*data-etag="([^"]+)"', page)
    shown = shown.replace("&#34;", '"')
    poll = {"HX-Request": "true", "If-None-Match": shown}
    assert browser.client.get("/rotations/rows?q=&cursor=", headers=poll).status_code == 304
    searched = browser.client.get("/rotations/rows?q=nothing", headers=poll)
    assert searched.status_code == 200 and "No rotation's name contains" in searched.text
    web.rotation("secondary", "weekly", START, "UTC", [ann])
    changed = browser.client.get("/rotations/rows?q=&cursor=", headers=poll)
    assert changed.status_code == 200 and "secondary" in changed.text
    [carried] = re.findall(r'id="rotation-rows"[^>]*data-etag="([^"]+)"', changed.text)
    assert carried.replace("&#34;", '"') == changed.headers["ETag"]  # the next poll sends it


def test_a_name_already_taken_is_asked_about_with_the_emails(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    form = {"csrf_token": browser.csrf, "name": "Ann Lee", "email": "ann@example.com"}
    assert browser.client.post("/people", data=form).status_code == 303
    again = browser.client.post("/people", data=form | {"name": " ann lee ", "email": ""})
    assert again.status_code == 409
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", again.text))
    assert "Someone is already named “ann lee”: ann@example.com." in text
    assert 'name="same_name" value="yes"' in again.text
    assert [u.name for u in _users(web)] == ["Ann Lee"]
    confirmed = form | {"email": "ann.lee@example.org", "same_name": "yes"}
    assert browser.client.post("/people", data=confirmed).status_code == 303
    assert sorted((u.name, u.email) for u in _users(web)) == [
        ("Ann Lee", "ann.lee@example.org"),
        ("Ann Lee", "ann@example.com"),
    ]


def test_pickers_tell_people_with_the_same_name_apart(browser: Browser, web: Web) -> None:
    async def two(conn: Any) -> None:
        await users.create(conn, "Ann", "ann@one.example", now=web.clock.now())
        await users.create(conn, "Ann", "ann@two.example", now=web.clock.now())

    web.run(two)
    rotation = web.rotation("primary", "weekly", START, "UTC")
    browser.sign_in(web.admin_token)
    for url in ("/oncall", f"/rotations/{rotation.id}"):
        html = browser.client.get(url).text
        assert ">Ann (ann@one.example)</option>" in html, url
        assert ">Ann (ann@two.example)</option>" in html, url


def _users(web: Web) -> list[users.User]:
    async def read(conn: Any) -> list[users.User]:
        return (await users.list_users(conn, limit=100)).items

    result: list[users.User] = web.run(read)
    return result


def test_on_call_shows_since_and_until_in_the_viewer_s_time_too(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    web.rotation("primary", "weekly", START, "Europe/Berlin", [ann])
    browser.sign_in(web.reader_token)
    html = browser.client.get("/oncall").text
    for label in ("Since", "Until"):
        cell = re.search(rf'<td data-label="{label}">(.*?)</td>', html, re.S)
        assert cell, label
        # The viewer's time first, then the rotation's (one order on every page).
        assert re.search(
            r"^<time datetime=\"[^\"]+Z\" data-local>[^<]+</time> <span class=\"hint\">your time"
            r".*class=\"zone-time\">\w{3} \d\d \w{3} \d{4} \d\d:\d\d \w+ in Europe/Berlin<",
            cell.group(1),
            re.S,
        ), cell.group(1)


def test_the_header_says_which_token_and_what_it_may_do(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    assert ">web-admin · can change things</span>" in browser.client.get("/rotations").text
    reader = Browser(web)
    reader.sign_in(web.reader_token)
    assert ">web-reader · read only</span>" in reader.client.get("/rotations").text
    reader.client.close()


def test_a_worker_s_start_is_recorded_once_and_does_not_move(browser: Browser, web: Web) -> None:
    async def register(conn: Any) -> int:
        cursor = await conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()) RETURNING id"
        )
        row = await cursor.fetchone()
        return int(row[0])

    async def read(conn: Any) -> status.Worker:
        [worker] = (await status.engine_status(conn, now=web.clock.now())).workers
        return worker

    async def beat(conn: Any) -> None:
        await conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() + '1 hour'")

    worker_id = web.run(register)
    before = web.run(read)
    web.run(beat)
    after = web.run(read)
    assert before.id == after.id == worker_id
    assert after.last_seen > before.last_seen
    assert after.started_at == before.started_at
    assert after.running == 0
    browser.sign_in(web.admin_token)
    page = browser.client.get("/engine").text
    assert '<td data-label="Running now" class="running">0 jobs</td>' in page
    assert '<dd class="handoffs">0 at their boundary</dd>' in page


def test_people_who_share_a_name_are_told_apart_on_the_rotation_page(
    browser: Browser, web: Web
) -> None:
    async def two(conn: Any) -> list[Any]:
        return [
            (await users.create(conn, "Ann", email, now=web.clock.now())).id
            for email in ("ann@one.example", None)
        ]

    first, second = web.run(two)
    bo = web.user("Bo")
    rotation = web.rotation("primary", "weekly", START, "UTC", [first, second, bo])
    browser.sign_in(web.admin_token)
    html = browser.client.get(f"/rotations/{rotation.id}").text
    names = re.findall(r'<span class="name">([^<]+)</span>', html)
    assert names == ["Ann (ann@one.example)", f"Ann ({str(second)[:8]})", "Bo"]
    assert 'aria-label="Put Ann (ann@one.example) on call"' not in html  # on call already
    assert f'aria-label="Put Ann ({str(second)[:8]}) on call"' in html
    assert 'aria-label="Put Bo on call"' in html


def test_people_rotation_and_job_actions_leave_messages(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    token = {"csrf_token": browser.csrf}
    browser.client.post("/people", data=token | {"name": "Dee", "email": ""})
    assert _flash(browser.client.get("/people").text) == "Added Dee."
    [dee] = _users(web)
    browser.client.post(f"/people/{dee.id}/delete", data=token)
    assert _flash(browser.client.get("/people").text) == "Deleted Dee."
    rotation = web.rotation("primary", "weekly", START, "UTC")

    async def enqueue(conn: Any) -> int:
        await conn.execute("SELECT handoff_enqueue_rotations(ARRAY[%s::uuid])", [rotation.id])
        cursor = await conn.execute("SELECT id FROM procrastinate_jobs")
        row = await cursor.fetchone()
        return int(row[0])

    job = web.run(enqueue)
    browser.client.post(f"/engine/jobs/{job}/cancel", data=token | {"state": "todo"})
    assert _flash(browser.client.get("/engine?state=todo").text) == f"Job #{job} is cancelled."
    browser.client.post(f"/rotations/{rotation.id}/delete", data=token)
    assert _flash(browser.client.get("/rotations").text) == "Deleted primary."
