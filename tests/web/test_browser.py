"""End to end in a real headless Chromium against a real server and the test database."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from handoff import demo
from handoff.store import history

from .conftest import Web
from .screens import shoot

pytestmark = pytest.mark.e2e
ROTATION_URL = re.compile(r"/rotations/[0-9a-f-]{36}$")
HANDOFF_LEAD = timedelta(seconds=6)  # how far ahead of the boundary the live test starts
POLL_WAIT_MS = 10_000  # the page polls every 3 s


def sign_in(page: Any, token: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/rotations$"))


def test_create_staff_reorder_hand_over_and_sign_out(page: Any, web: Web) -> None:
    for name in ("Ann", "Bo", "Cy"):
        web.user(name)
    sign_in(page, web.admin_token)

    page.click("text=New rotation")
    page.fill("#name", "Platform primary")
    page.select_option("#type", "weekly")
    page.fill("#shift_length", "2")
    page.fill("#start", "2026-01-05T09:00")
    page.fill("#time_zone", "Mars/Base")
    expect(page.locator("#error-time_zone")).to_contain_text("unknown time zone")
    expect(page.locator("#time_zone")).to_have_attribute("aria-invalid", "true")
    page.fill("#time_zone", "Europe/Berlin")
    expect(page.locator("#preview-phrase")).to_have_text(
        "Hands off every 2 weeks, Monday 09:00 Europe/Berlin."
    )
    expect(page.locator("#error-time_zone")).to_be_empty()
    expect(page.locator("#time_zone")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".preview-list li")).to_have_count(6)
    # The viewer's local time comes from the script, not the server's ISO fallback.
    expect(page.locator(".preview-list time").first).not_to_have_text(re.compile(r"T\d\d:"))
    shoot(page, "rotation-new-preview")
    page.click("button:has-text('Create rotation')")
    expect(page).to_have_url(ROTATION_URL)

    for name in ("Ann", "Bo", "Cy"):
        page.select_option("select[name=user_id]", label=name)
        page.click("button:has-text('Add')")
    names = page.locator(".participants .name")
    expect(names).to_have_text(["Ann", "Bo", "Cy"])
    expect(page.locator("#on-call")).to_have_text("Ann")

    page.click("[aria-label='Move Cy up']")
    expect(names).to_have_text(["Ann", "Cy", "Bo"])
    expect(page.locator("#on-call")).to_have_text("Ann")

    page.click("[aria-label='Put Bo on call']")
    expect(page.locator("#on-call")).to_have_text("Bo")
    expect(page.locator(".participants li.active .name")).to_have_text("Bo")
    latest = page.locator("table.history tbody tr").first
    expect(latest).to_contain_text("Ann → Bo")
    expect(latest).to_contain_text("manual")
    # Two full cycles of three people, and the current shift first.
    expect(page.locator(".timeline .seg")).to_have_count(7)
    expect(page.locator(".timeline .seg.current")).to_have_text("Bo")

    page.click("[aria-label='Remove Cy']")
    expect(names).to_have_text(["Ann", "Bo"])
    expect(page.locator("#on-call")).to_have_text("Bo")

    page.click("a:has-text('Rotations')")
    page.fill("input[name=q]", "nothing like it")
    expect(page.locator(".empty")).to_contain_text("No rotation's name contains")
    page.fill("input[name=q]", "platform")
    expect(page.locator(".rotations .card")).to_have_count(1)
    expect(page.locator(".rotations .on-call")).to_have_text("Bo")

    page.click("button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.goto("/rotations")
    expect(page).to_have_url(re.compile(r"/signin$"))


def test_a_handoff_shows_up_on_the_open_page_without_a_reload(page: Any, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    sign_in(page, web.admin_token)
    real = datetime.now(UTC)
    boundary = (real + timedelta(minutes=2)).replace(second=0, microsecond=0)
    web.clock.offset = boundary - HANDOFF_LEAD - real  # the server's now: 6 s before it
    # Started an hour before (created before its start, Ann would keep the first full shift).
    rotation = web.rotation(
        "Live hourly", "hourly", boundary - timedelta(hours=1), "UTC", [ann, bo]
    )
    page.goto(f"/rotations/{rotation.id}")
    expect(page.locator("#on-call")).to_have_text("Ann")
    page.evaluate("window.stillTheSamePage = true")

    time.sleep(max((boundary - web.clock.now()).total_seconds(), 0) + 0.1)
    web.process(rotation.id)

    expect(page.locator("#on-call")).to_have_text("Bo", timeout=POLL_WAIT_MS)
    latest = page.locator("table.history tbody tr").first
    expect(latest).to_contain_text("Ann → Bo")
    expect(latest).to_contain_text("boundary")
    expect(latest.locator(".lag")).to_have_text(re.compile(r"^\d+\.\d{3} s$"))
    assert page.evaluate("window.stillTheSamePage") is True

    async def recorded(conn: Any) -> list[history.Entry]:
        return (await history.history(conn, rotation.id, limit=5)).items

    [handoff, *_] = web.run(recorded)
    assert handoff.boundary_at == boundary and handoff.cause == "boundary"


def test_a_reader_sees_no_write_controls_and_forged_posts_are_refused(page: Any, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    rotation = web.rotation(
        "Reader's view", "daily", datetime(2026, 1, 1, 8, tzinfo=UTC), "UTC", [ann, bo]
    )
    victim = rotation.participants[1]
    remove = f"/rotations/{rotation.id}/participants/{victim.id}/remove"

    sign_in(page, web.admin_token)
    forged = page.request.post(remove, form={"direction": "up"})
    assert forged.status == 403
    assert "security token" in forged.text()
    page.click("button:has-text('Sign out')")

    sign_in(page, web.reader_token)
    expect(page.locator("text=New rotation")).to_have_count(0)
    expect(page.locator("nav >> text=Engine")).to_have_count(0)
    page.click("nav >> text=People")
    expect(page.locator("table.people .name")).to_have_text(["Ann", "Bo"])
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("text=Delete…")).to_have_count(0)
    shoot(page, "people-reader")
    page.goto(f"/rotations/{rotation.id}")
    expect(page.locator(".participants .name")).to_have_text(["Ann", "Bo"])
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("text=Edit")).to_have_count(0)
    shoot(page, "rotation-reader")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(remove, form={"csrf_token": csrf})
    assert refused.status == 403
    assert "reader token" in refused.text()
    page.goto("/rotations/new")
    expect(page.locator(".error")).to_contain_text("reader token")
    shoot(page, "error-403")
    page.goto(f"/rotations/{rotation.id}")
    expect(page.locator(".participants .name")).to_have_text(["Ann", "Bo"])


def test_create_a_person_add_them_then_delete_them_while_on_call(page: Any, web: Web) -> None:
    ann = web.user("Ann")
    rotation = web.rotation("Pager", "daily", datetime(2026, 1, 1, 8, tzinfo=UTC), "UTC", [ann])
    sign_in(page, web.admin_token)
    page.goto(f"/rotations/{rotation.id}")
    page.click("a:has-text('New person…')")
    expect(page).to_have_url(re.compile(r"/people$"))
    page.fill("#name", "   ")
    page.fill("#email", "bo@example.com")
    page.click("button:has-text('Create person')")
    expect(page.locator("#error-name")).to_have_text("must not be empty")
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_value("bo@example.com")
    page.fill("#name", "Bo")
    page.click("button:has-text('Create person')")
    expect(page).to_have_url(re.compile(r"/people#person-[0-9a-f-]{36}$"))
    expect(page.locator("table.people .name")).to_have_text(["Ann", "Bo"])
    expect(page.locator("#error-name")).to_be_empty()

    page.goto(f"/rotations/{rotation.id}")
    page.select_option("select[name=user_id]", label="Bo (bo@example.com)")
    page.click("button:has-text('Add')")
    expect(page.locator(".participants .name")).to_have_text(["Ann", "Bo"])
    expect(page.locator("#on-call")).to_have_text("Ann")

    page.click("nav >> text=People")
    ann_row = page.locator(f"#person-{ann}")
    expect(ann_row.locator(".rotations-in")).to_have_text("Pager on call")
    expect(ann_row.locator(".on-call-now")).to_have_text("yes")
    ann_row.locator("a:has-text('Delete…')").click()
    expect(page.locator("h1")).to_have_text("Delete Ann?")
    expect(page.locator(".leaves li")).to_have_text(["Pager on call now"])
    page.click("a:has-text('Cancel')")
    expect(page.locator("table.people .name")).to_have_text(["Ann", "Bo"])
    ann_row.locator("a:has-text('Delete…')").click()
    page.click("button:has-text('Delete Ann')")
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.locator("table.people .name")).to_have_text(["Bo"])

    page.goto(f"/rotations/{rotation.id}")
    expect(page.locator("#on-call")).to_have_text("Bo")
    latest = page.locator("table.history tbody tr").first
    expect(latest).to_contain_text("Ann removed from the rotation; Bo on call")
    expect(latest).to_contain_text("participant removed")


def test_every_page_at_desktop_and_phone_width(page: Any, web: Web, console: list[str]) -> None:
    """Screenshots for people to review, over the demo data; each page must render its content,
    with no console error (a script the Content-Security-Policy blocked would be one)."""

    async def load(conn: Any) -> bool:
        return await demo.load(conn, now=web.clock.now())

    assert web.run(load)
    page.goto("/signin")
    shoot(page, "signin")
    sign_in(page, web.admin_token)
    expect(page.locator(".rotations .card")).to_have_count(len(demo.ROTATIONS) + len(demo.SUN))
    shoot(page, "rotations")
    page.click("a:has-text('Demo: platform primary')")
    expect(page.locator(".timeline .seg")).to_have_count(9)
    shoot(page, "rotation")
    page.click("a:has-text('Edit')")
    expect(page.locator("#preview-phrase")).to_contain_text("Monday 09:00 Europe/Berlin")
    shoot(page, "rotation-edit")
    page.goto("/oncall")
    # Every always-on rotation, and those of the follow-the-sun ones inside their hours now.
    rows = page.locator("table.oncall tbody tr")
    expect(rows.nth(len(demo.ROTATIONS) - 1)).to_be_visible()
    on_call = rows.count()
    assert on_call <= len(demo.ROTATIONS) + len(demo.SUN)
    shoot(page, "oncall")
    page.select_option("select[name=user]", label="{} ({})".format(*demo.PEOPLE[0]))
    page.click("button:has-text('Filter')")
    expect(page.locator("table.oncall .on-call")).to_have_text([demo.PEOPLE[0][0]])
    page.click("nav >> text=People")
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.locator("table.people tbody tr")).to_have_count(len(demo.PEOPLE))
    page.fill("#name", "Gil Navarro")
    page.fill("#email", "gil-at-example.com")
    page.click("button:has-text('Create person')")
    expect(page.locator("#error-email")).to_have_text("must be an email address")
    shoot(page, "people-error")
    page.fill("#email", "gil@example.com")
    page.click("button:has-text('Create person')")
    expect(page.locator("table.people tbody tr")).to_have_count(len(demo.PEOPLE) + 1)
    expect(page.locator("table.people .rotations-in .badge")).to_have_count(on_call)
    expect(page.locator("table.people tr:last-child .on-call-now")).to_have_text("no")
    shoot(page, "people")
    page.fill("#name", demo.PEOPLE[1][0])
    page.click("button:has-text('Create person')")
    expect(page.locator(".namesakes")).to_contain_text(demo.PEOPLE[1][1])
    shoot(page, "people-same-name")
    page.click(f"[aria-label='Delete {demo.PEOPLE[0][0]}…']")
    expect(page.locator(".consequence")).to_contain_text("the next participant takes over")
    shoot(page, "person-delete")

    async def enqueue(conn: Any) -> None:  # as a plain SQL writer's trigger would
        await conn.execute("SELECT handoff_enqueue_rotations(array_agg(id)) FROM rotations")

    web.run(enqueue)
    page.goto("/engine?state=todo")
    expect(page.locator(".mode")).to_have_text("no engine is running")
    expect(page.locator("table.jobs tbody tr").first).to_be_visible()
    shoot(page, "engine")
    # Chromium reports the two refused forms above (422, 409) itself; nothing else may appear.
    refused = re.compile(r"the server responded with a status of (409|422)")
    assert [line for line in console if not refused.search(line)] == []
