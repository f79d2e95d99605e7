"""Participants in the "new rotation" form: an ordered list (duplicates allowed) that works
without script, a preview naming who is on call at each handoff, and errors next to the list."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from starlette.datastructures import FormData

from handoff.store import rotations
from handoff.web import words
from handoff.web.rotation_form import RotationForm

from .client import Browser
from .conftest import MAX_PARTICIPANTS, Web
from .screens import shoot
from .test_browser import ROTATION_URL, sign_in

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
WHO = re.compile(r'class="who">([^<]*)<')


def _fields(browser: Browser, people: list[Any], **extra: str) -> dict[str, Any]:
    """The create form as posted, one `participant` value per picker, in order."""
    return {
        "csrf_token": browser.csrf,
        "with_participants": "1",
        "name": "primary",
        "description": "",
        "type": "weekly",
        "shift_length": "1",
        "start": "2026-01-05T09:00",
        "time_zone": "UTC",
        "participant": [str(p) for p in people],
    } | extra


def _rotation_names(web: Web) -> list[str]:
    async def names(conn: Any) -> list[str]:
        found = await rotations.list_rotations(conn, now=web.clock.now(), limit=100)
        return [r.name for r in found.items]

    result: list[str] = web.run(names)
    return result


def _participants(web: Web, rotation_id: str) -> tuple[list[Any], Any]:
    async def read(conn: Any) -> rotations.Rotation:
        return await rotations.get(conn, uuid.UUID(rotation_id), now=web.clock.now())

    found = web.run(read)
    return [p.user_id for p in found.participants], found.on_call_user_id


def _selected(html: str) -> list[str]:
    """The user id chosen in each participant picker, in order ("" for a blank one)."""
    pickers = re.findall(r'<select name="participant".*?</select>', html, re.S)
    return [next(iter(re.findall(r'value="([^"]*)" selected', p)), "") for p in pickers]


def test_create_with_two_people_and_a_duplicate_keeps_the_order(browser: Browser, web: Web) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    browser.sign_in(web.admin_token)
    response = browser.client.post("/rotations/new", data=_fields(browser, [ann, "", bo, ann]))
    assert response.status_code == 303
    rotation_id = response.headers["location"].removeprefix("/rotations/")
    people, on_call = _participants(web, rotation_id)
    assert people == [ann, bo, ann]  # the blank picker is left out
    assert on_call == ann


def test_the_preview_names_who_is_on_call_now_and_from_each_handoff(
    browser: Browser, web: Web
) -> None:
    ann, bo = web.user("Ann"), web.user("Bo")
    browser.sign_in(web.admin_token)
    response = browser.client.post("/rotations/preview", data=_fields(browser, [ann, bo, ann]))
    assert response.status_code == 200
    assert re.search(r'id="preview-now">On call from creation: <strong>Ann<', response.text)
    assert WHO.findall(response.text) == ["Bo", "Ann", "Ann", "Bo", "Ann", "Ann"]
    grid = rotations.check_grid("weekly", 1, START, "UTC")
    first = grid.next_handoffs(web.clock.now(), 1)[0]
    assert f"from {words.in_zone(first, 'UTC')}: <strong" in response.text
    assert 'id="error-participants" role="status" hx-swap-oob="true"></span>' in response.text
    assert "preview-nobody" not in response.text
    empty = browser.client.post("/rotations/preview", data=_fields(browser, ["", ""]))
    assert 'id="preview-nobody">Nobody is on call until you add participants' in empty.text
    assert WHO.findall(empty.text) == [] and "preview-now" not in empty.text


def test_namesakes_are_told_apart_by_email_in_pickers_and_preview(
    browser: Browser, web: Web
) -> None:
    async def two_anns(conn: Any) -> list[Any]:
        from handoff.store import users

        now = web.clock.now()
        return [
            (await users.create(conn, "Ann", email, now=now)).id
            for email in ("ann@a.example", "ann@b.example")
        ]

    first, second = web.run(two_anns)
    browser.sign_in(web.admin_token)
    form = browser.client.get("/rotations/new").text
    assert "Ann (ann@a.example)</option>" in form and "Ann (ann@b.example)</option>" in form
    preview = browser.client.post("/rotations/preview", data=_fields(browser, [second, first]))
    assert WHO.findall(preview.text)[:2] == ["Ann (ann@a.example)", "Ann (ann@b.example)"]


def test_the_list_buttons_work_without_script_and_save_nothing(browser: Browser, web: Web) -> None:
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    browser.sign_in(web.admin_token)
    assert _selected(browser.client.get("/rotations/new").text) == [""]

    def press(action: str, people: list[Any]) -> str:
        response = browser.client.post(
            "/rotations/new", data=_fields(browser, people, action=action)
        )
        assert response.status_code == 200
        return response.text

    assert _selected(press("add", [ann])) == [str(ann), ""]
    assert _selected(press("up-1", [ann, bo, cy])) == [str(bo), str(ann), str(cy)]
    assert _selected(press("down-0", [ann, bo, cy])) == [str(bo), str(ann), str(cy)]
    assert _selected(press("remove-1", [ann, bo, ann])) == [str(ann), str(ann)]
    assert _selected(press("up-0", [ann, bo])) == [str(ann), str(bo)]  # nothing above the first
    assert _selected(press("remove-9", [ann])) == [str(ann)]  # a stale index changes nothing
    moved = press("down-0", [ann, bo])
    assert WHO.findall(moved)[:2] == ["Ann", "Bo"]  # the preview follows the new order
    assert _rotation_names(web) == []


def test_an_unknown_person_is_shown_next_to_the_list_and_nothing_is_created(
    browser: Browser, web: Web
) -> None:
    ann = web.user("Ann")
    browser.sign_in(web.admin_token)
    for wrong in (uuid.uuid4(), "not-an-id"):
        response = browser.client.post("/rotations/new", data=_fields(browser, [ann, wrong]))
        assert response.status_code == 422
        assert re.search(
            r'id="error-participants"[^>]*>choose people from the list<', response.text
        )
        assert 'id="participants" class="participant-slots' in response.text
        assert _selected(response.text)[0] == str(ann)  # what was picked stays picked
    preview = browser.client.post("/rotations/preview", data=_fields(browser, [uuid.uuid4()]))
    assert preview.status_code == 200
    assert "choose people from the list" in preview.text
    assert _rotation_names(web) == []


def test_too_many_participants_is_a_message_not_a_rotation(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    browser.sign_in(web.admin_token)
    crowd = [ann] * (MAX_PARTICIPANTS + 1)
    response = browser.client.post("/rotations/new", data=_fields(browser, crowd))
    assert response.status_code == 422
    limit = f"a rotation can have at most {MAX_PARTICIPANTS} participants"
    assert re.search(rf'id="error-participants"[^>]*>{limit}', response.text)
    full = browser.client.post(
        "/rotations/new",
        data=_fields(browser, [ann] * MAX_PARTICIPANTS, action="add"),
    )
    assert full.status_code == 200
    assert len(_selected(full.text)) == MAX_PARTICIPANTS
    assert f"at most {MAX_PARTICIPANTS} participants" in full.text
    assert _rotation_names(web) == []


def test_the_edit_form_has_no_participant_list(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    made = web.rotation("primary", "weekly", START, "UTC", [ann])
    browser.sign_in(web.admin_token)
    form = browser.client.get(f"/rotations/{made.id}/edit").text
    assert 'name="participant"' not in form and "with_participants" not in form
    fields = _fields(browser, [])
    del fields["with_participants"]
    preview = browser.client.post("/rotations/preview", data=fields)
    assert "error-participants" not in preview.text and 'class="who"' not in preview.text


@pytest.mark.parametrize(
    ("action", "after"),
    [("add", ["a", "b", ""]), ("up-1", ["b", "a"]), ("down-1", ["a", "b"]), ("bogus", ["a", "b"])],
)
def test_change_list(action: str, after: list[str]) -> None:
    form = RotationForm.from_form(FormData([("participant", "a"), ("participant", "b")]))
    form.change_list(action, limit=5)
    assert form.participants == after


@pytest.mark.e2e
@pytest.mark.parametrize("width", [1280, 390])
def test_create_a_rotation_with_participants_in_the_browser(
    page: Any, web: Web, console: list[str], width: int
) -> None:
    for name in ("Ann", "Bo"):
        web.user(name)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, web.admin_token)
    page.goto("/rotations/new")
    page.fill("#name", f"Payments {width}")
    page.select_option("[aria-label='Participant 1']", label="Ann")
    expect(page.locator("#preview-now")).to_contain_text("Ann")
    page.evaluate("window.samePage = true")  # gone if a button reloaded the whole page
    page.click("[aria-label='Add another person']")
    page.select_option("[aria-label='Participant 2']", label="Bo")
    page.click("[aria-label='Add another person']")
    page.select_option("[aria-label='Participant 3']", label="Ann")
    who = page.locator(".preview-list .who")
    expect(who).to_have_text(["Bo", "Ann", "Ann", "Bo", "Ann", "Ann"])
    page.click("[aria-label='Move participant 2 up']")
    expect(page.locator("[aria-label='Participant 1'] option:checked")).to_have_text("Bo")
    expect(page.locator("#preview-now")).to_contain_text("Bo")
    page.click("[aria-label='Remove participant 3']")
    expect(page.locator("select[name=participant]")).to_have_count(2)
    expect(who.first).to_have_text("Ann")
    # With htmx the buttons swap only the list and the preview, in the same page.
    assert page.evaluate("window.samePage") is True
    expect(page.locator("#name")).to_have_value(f"Payments {width}")
    if width == 1280:
        shoot(page, "rotation-new-participants")
    if width == 1280:
        page.click("button:has-text('Create rotation')")
    else:  # Enter in a field creates the rotation, not a list button's action
        page.press("#name", "Enter")
    expect(page).to_have_url(ROTATION_URL)
    expect(page.locator(".participants .name")).to_have_text(["Bo", "Ann"])
    expect(page.locator("#on-call")).to_have_text("Bo")
    assert console == []


def test_before_start_the_preview_gives_the_first_person_the_first_full_shift(
    browser: Browser, web: Web
) -> None:
    """Created at 02:30 for a Monday 09:00 start: Ann to the next Monday, then Bo (engine.md)."""
    ann, bo = web.user("Ann"), web.user("Bo")
    browser.sign_in(web.admin_token)
    web.clock.set(datetime(2026, 1, 5, 2, 30, tzinfo=UTC))
    response = browser.client.post("/rotations/preview", data=_fields(browser, [ann, bo]))
    assert re.search(r'id="preview-now">On call from creation: <strong>Ann<', response.text)
    assert WHO.findall(response.text)[:2] == ["Bo", "Ann"]
    next_week = datetime(2026, 1, 12, 9, tzinfo=UTC)
    assert f'from {words.in_zone(next_week, "UTC")}: <strong class="who">Bo<' in response.text
    assert f"from {words.in_zone(START, 'UTC')}" not in response.text
    form = browser.client.get("/rotations/new").text
    assert "the whole first shift" in form
