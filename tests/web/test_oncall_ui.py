"""Overrides and scheduled changes on a rotation's page: cover a shift, plan a change (oncall.md).

HTTP tests through the UI's own forms (cookies and CSRF as a browser sends them), then the two
journeys in a real Chromium at desktop and phone width, with screenshots.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from handoff.store import changes, overrides, rotations, users
from handoff.store.projections import Shift
from handoff.web.timeline import segments

from .client import Browser
from .conftest import Web
from .screens import SHOTS, SIZES

ZONE = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 1, 5, 8, tzinfo=UTC)  # 09:00 in Berlin
ROTATION_URL = re.compile(r"/rotations/[0-9a-f-]{36}$")
# The weekly rotations here hand off on Mondays at 09:00 in Berlin.
MIDWEEK = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _weekly(web: Web, *names: str) -> tuple[rotations.Rotation, list[UUID]]:
    people = [web.user(n) for n in names]
    return web.rotation("payments", "weekly", MONDAY, "Europe/Berlin", people), people


def _overrides(web: Web, rotation_id: UUID) -> list[overrides.Override]:
    async def read(conn: Any) -> list[overrides.Override]:
        found = await overrides.list_overrides(conn, rotation_id=rotation_id, limit=100)
        return found.items

    result: list[overrides.Override] = web.run(read)
    return result


def _changes(web: Web, rotation_id: UUID) -> list[changes.Change]:
    async def read(conn: Any) -> list[changes.Change]:
        return (await changes.list_changes(conn, rotation_id, limit=100, pending=True)).items

    result: list[changes.Change] = web.run(read)
    return result


def _add_override(
    web: Web, rotation_id: UUID, start: datetime, end: datetime, user: UUID | None
) -> overrides.Override:
    async def create(conn: Any) -> overrides.Override:
        draft = overrides.Draft(start, end, user)
        return await overrides.create(conn, rotation_id, draft, limit=200)

    result: overrides.Override = web.run(create)
    return result


def _berlin(instant: datetime) -> str:
    return instant.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


_VALUE = r'id="{}" name="{}" type="datetime-local" value="([^"]*)"'


def _value(html: str, name: str) -> str:
    found = re.search(_VALUE.format(name, name), html)
    assert found, f"no {name} field"
    return found.group(1)


def _minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


# ---- The timeline bar ------------------------------------------------------------------------


def test_the_timeline_marks_the_pieces_an_override_decides() -> None:
    t0, ann, bo = datetime(2026, 3, 2, 9, tzinfo=UTC), uuid4(), uuid4()
    shifts = [
        Shift(ann, t0, t0 + timedelta(hours=1)),
        Shift(bo, t0 + timedelta(hours=1), t0 + timedelta(hours=2), override_id=uuid4()),
        Shift(None, t0 + timedelta(hours=2), t0 + timedelta(hours=3), override_id=uuid4()),
    ]
    found = segments(shifts, {ann: "Ann", bo: "Bo"}, t0)
    assert [(s.label, s.override, s.nobody) for s in found] == [
        ("Ann", False, False),
        ("Bo", True, False),
        ("nobody", True, True),
    ]


# ---- Covering a shift ------------------------------------------------------------------------


def test_every_coming_shift_has_a_cover_link_that_fills_its_wall_times(
    browser: Browser, web: Web
) -> None:
    rotation, _ = _weekly(web, "Ann", "Bo")
    browser.sign_in(web.admin_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    links = [unescape(h) for h in re.findall(r'href="([^"]*/overrides/new\?[^"]*)"', page)]
    assert len(links) == 5  # the current shift and two full cycles of two
    form = browser.client.get(links[1]).text  # the next shift: Bo's, Monday to Monday 09:00
    start, end = _value(form, "start"), _value(form, "end")
    assert start.endswith("T09:00") and end.endswith("T09:00")
    assert datetime.fromisoformat(end) - datetime.fromisoformat(start) == timedelta(days=7)
    # The shift in progress is covered from the next minute, not from its past start.
    before = _minute(web.clock.now()) + timedelta(minutes=1)
    current = browser.client.get(links[0]).text
    after = _minute(web.clock.now()) + timedelta(minutes=1)
    assert _value(current, "start") in {_berlin(before), _berlin(after)}
    # A person picker tells namesakes apart by email, and offers nobody.
    assert ">Nobody (no one is on call)</option>" in form


def test_covering_puts_the_coverer_on_call_and_draws_the_override(
    browser: Browser, web: Web
) -> None:
    rotation, (_, bo) = _weekly(web, "Ann", "Bo")
    browser.sign_in(web.admin_token)
    now = web.clock.now()
    start, end = _minute(now) - timedelta(minutes=1), _minute(now) + timedelta(hours=3)
    saved = browser.client.post(
        f"/rotations/{rotation.id}/overrides",
        data={
            "csrf_token": browser.csrf,
            "start": _berlin(start),
            "end": _berlin(end),
            "user_id": str(bo),
            "note": "Ann at the dentist",
        },
    )
    assert saved.status_code == 303, saved.text
    [made] = _overrides(web, rotation.id)
    # A start already past comes into force when the override is saved (oncall.md).
    assert start < made.start <= web.clock.now()
    assert (made.end, made.user_id, made.note) == (end, bo, "Ann at the dentist")
    page = browser.client.get(f"/rotations/{rotation.id}")
    assert "Saved the override." in page.text
    assert re.search(r'id="on-call" class="on-call">Bo<', page.text)
    assert re.search(r'id="covering-for">Ann ', page.text)
    assert re.search(r'class="seg seg-\d current override"', page.text)
    assert "stripes: override (someone covers)" in page.text  # the legend
    assert "Ann at the dentist" in page.text and ">End now</button>" in page.text


def _last_sunday(year: int, month: int) -> datetime:
    last = datetime(year, month, 31, tzinfo=UTC)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def test_wall_times_around_dst_are_read_as_the_grid_reads_them(browser: Browser, web: Web) -> None:
    """A time the clocks skip is the first instant after the gap; a time they repeat, its
    first occurrence."""
    rotation, (_, bo) = _weekly(web, "Ann", "Bo")
    browser.sign_in(web.admin_token)
    next_year = web.clock.now().year + 1
    spring, autumn = _last_sunday(next_year, 3), _last_sunday(next_year, 10)
    for day, start, end in [(spring, "02:30", "05:00"), (autumn, "01:00", "02:30")]:
        saved = browser.client.post(
            f"/rotations/{rotation.id}/overrides",
            data={
                "csrf_token": browser.csrf,
                "start": f"{day:%Y-%m-%d}T{start}",
                "end": f"{day:%Y-%m-%d}T{end}",
                "user_id": str(bo),
            },
        )
        assert saved.status_code == 303, saved.text
    gap, repeated = _overrides(web, rotation.id)
    assert (gap.start, gap.end) == (spring.replace(hour=1), spring.replace(hour=3))  # CEST
    assert repeated.end == autumn.replace(minute=30)  # 02:30 CEST, not 02:30 CET


def test_mistakes_and_conflicts_are_shown_next_to_the_form(browser: Browser, web: Web) -> None:
    rotation, (_, bo) = _weekly(web, "Ann", "Bo")
    browser.sign_in(web.admin_token)
    now = _minute(web.clock.now())
    url = f"/rotations/{rotation.id}/overrides"
    blank = browser.client.post(url, data={"csrf_token": browser.csrf, "start": "soon"})
    assert blank.status_code == 422
    assert 'id="error-start" role="status">enter a date and a time<' in blank.text
    assert 'id="error-user_id" role="status">choose who is on call instead' in blank.text

    backwards = {
        "csrf_token": browser.csrf,
        "start": _berlin(now + timedelta(hours=2)),
        "end": _berlin(now + timedelta(hours=1)),
        "user_id": str(bo),
        "replaces_user_id": str(bo),
    }
    refused = browser.client.post(url, data=backwards)
    assert refused.status_code == 422
    assert 'id="error-end" role="status">must be after start<' in refused.text
    assert 'id="error-replaces_user_id" role="status">must differ from user_id<' in refused.text

    first = _add_override(web, rotation.id, now + timedelta(hours=1), now + timedelta(hours=3), bo)
    overlapping = browser.client.post(
        url,
        data={
            "csrf_token": browser.csrf,
            "start": _berlin(now + timedelta(hours=2)),
            "end": _berlin(now + timedelta(hours=4)),
            "user_id": "nobody",
        },
    )
    assert overlapping.status_code == 409
    assert f"Overlaps override {first.id}" in overlapping.text
    assert len(_overrides(web, rotation.id)) == 1


def test_overrides_are_edited_deleted_and_ended_from_the_list(browser: Browser, web: Web) -> None:
    rotation, (ann, bo) = _weekly(web, "Ann", "Bo")
    cy = web.user("Cy")
    browser.sign_in(web.admin_token)
    now = _minute(web.clock.now())
    future = _add_override(web, rotation.id, now + timedelta(hours=2), now + timedelta(hours=4), bo)
    current = _add_override(
        web, rotation.id, now - timedelta(minutes=5), now + timedelta(hours=1), bo
    )
    base = f"/rotations/{rotation.id}/overrides"

    edit = browser.client.get(f"{base}/{future.id}/edit").text
    assert _value(edit, "start") == _berlin(future.start)
    moved = browser.client.post(
        f"{base}/{future.id}/edit",
        data={
            "csrf_token": browser.csrf,
            "start": _berlin(now + timedelta(hours=2)),
            "end": _berlin(now + timedelta(hours=5)),
            "user_id": str(cy),
            "replaces_user_id": str(ann),
        },
    )
    assert moved.status_code == 303, moved.text
    changed = next(o for o in _overrides(web, rotation.id) if o.id == future.id)
    assert (changed.end, changed.user_id, changed.replaces_user_id) == (
        now + timedelta(hours=5),
        cy,
        ann,
    )
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert "<strong>Cy</strong> on call instead of Ann (only while Ann is on call)" in page

    # In force: its start and person are frozen (the form disables them; a forged value is
    # ignored), its end can move.
    in_force = browser.client.get(f"{base}/{current.id}/edit").text
    assert "only its end and its note can change" in in_force
    longer = browser.client.post(
        f"{base}/{current.id}/edit",
        data={
            "csrf_token": browser.csrf,
            "end": _berlin(now + timedelta(minutes=90)),
            "user_id": str(cy),
        },
    )
    assert longer.status_code == 303, longer.text
    kept = next(o for o in _overrides(web, rotation.id) if o.id == current.id)
    assert (kept.user_id, kept.end) == (bo, now + timedelta(minutes=90))

    deleted = browser.client.post(f"{base}/{future.id}/delete", data={"csrf_token": browser.csrf})
    assert deleted.status_code == 303
    assert "Removed the override." in browser.client.get(f"/rotations/{rotation.id}").text
    ended = browser.client.post(f"{base}/{current.id}/delete", data={"csrf_token": browser.csrf})
    assert ended.status_code == 303
    assert "Ended the override now." in browser.client.get(f"/rotations/{rotation.id}").text
    assert _overrides(web, rotation.id) == []  # ended at the request's instant: not listed

    # Once it has ended it is history: deleting it is refused beside the list, not a 500.
    web.clock.offset = timedelta(minutes=2)
    refused = browser.client.post(f"{base}/{current.id}/delete", data={"csrf_token": browser.csrf})
    assert refused.status_code == 409
    assert re.search(r'id="plan-error">Override [0-9a-f-]+ has ended: it is history', refused.text)
    gone = browser.client.post(f"{base}/{uuid4()}/delete", data={"csrf_token": browser.csrf})
    assert gone.status_code == 404


# ---- Scheduled changes -----------------------------------------------------------------------


def test_the_change_form_starts_at_the_next_handoff_and_previews_its_shifts(
    browser: Browser, web: Web
) -> None:
    rotation, (ann, _) = _weekly(web, "Ann", "Bo")
    cy = web.user("Cy")
    browser.sign_in(web.admin_token)
    assert rotation.next_handoff is not None
    form = browser.client.get(f"/rotations/{rotation.id}/changes/new").text
    when = _value(form, "effective_at")
    assert when == _berlin(rotation.next_handoff)

    fields = [
        ("csrf_token", browser.csrf),
        ("effective_at", when),
        ("type", "daily"),
        ("set_participants", "1"),
        ("participants", str(cy)),
        ("participants", str(ann)),
        ("participants", str(cy)),
        ("participants", ""),
    ]
    preview = browser.client.post(
        f"/rotations/{rotation.id}/changes/preview",
        content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"},
    )
    assert preview.status_code == 200
    who = re.findall(r"<strong>([^<]+)</strong>", preview.text)
    # Ann is on call and still listed, so she stays on call; then daily shifts in list order.
    assert who[:5] == ["Ann", "Cy", "Cy", "Ann", "Cy"]
    starts = re.findall(r'class="zone-time">(\w{3} \d\d \w{3} \d{4} \d\d:\d\d)', preview.text)
    assert starts[0].endswith("09:00") and starts[1].endswith("09:00")

    bad = browser.client.post(
        f"/rotations/{rotation.id}/changes/preview",
        data={"csrf_token": browser.csrf, "effective_at": "", "type": "daily"},
    )
    assert "Effective at: enter a date and a time." in bad.text

    saved = browser.client.post(
        f"/rotations/{rotation.id}/changes",
        content=urlencode([*fields, ("note", "Cy joins")]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert saved.status_code == 303, saved.text
    [change] = _changes(web, rotation.id)
    assert change.effective_at == rotation.next_handoff
    assert (change.type, change.participants, change.note) == ("daily", [cy, ann, cy], "Cy joins")
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert "daily shifts; participants Cy, Ann, Cy" in page and "Cy joins" in page


def test_the_next_handoff_offered_counts_the_changes_already_pending(
    browser: Browser, web: Web
) -> None:
    # On a Wednesday noon by the engine's clock, so that the change comes before the weekly
    # rotation's own next handoff whatever the time of day the test runs at.
    web.clock.offset = MIDWEEK - datetime.now(UTC)
    rotation, _ = _weekly(web, "Ann", "Bo")
    at = _minute(web.clock.now()) + timedelta(minutes=2)

    async def hourly_soon(conn: Any) -> changes.Change:
        fields = changes.Fields(type="hourly", start=at)
        return await changes.create(conn, rotation.id, at, fields, limit=20)

    web.run(hourly_soon)
    browser.sign_in(web.admin_token)
    form = browser.client.get(f"/rotations/{rotation.id}/changes/new").text
    # Hourly from `at` on: the rotation's next handoff is an hour after the change.
    assert _value(form, "effective_at") == _berlin(at + timedelta(hours=1))


def test_a_list_is_changed_by_picking_people_and_kept_unless_asked(
    browser: Browser, web: Web
) -> None:
    rotation, (ann, bo) = _weekly(web, "Ann", "Bo")
    assert rotation.next_handoff is not None
    browser.sign_in(web.admin_token)
    shown = f"{ann},{bo}"
    form = browser.client.get(f"/rotations/{rotation.id}/changes/new").text
    assert f'name="participants_shown" value="{shown}"' in form
    common = [("csrf_token", browser.csrf), ("participants_shown", shown), ("type", "daily")]
    kept = [("participants", str(ann)), ("participants", str(bo)), ("participants", "")]
    week = timedelta(days=7)
    for when, extra in [
        (rotation.next_handoff, kept),  # as shown: the list is left alone
        (rotation.next_handoff + week, [*kept, ("set_participants", "1")]),  # set as it is
        (rotation.next_handoff + 2 * week, [("participants", str(bo))]),  # changed: set
    ]:
        saved = browser.client.post(
            f"/rotations/{rotation.id}/changes",
            content=urlencode([*common, ("effective_at", _berlin(when)), *extra]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert saved.status_code == 303, saved.text
    assert [c.participants for c in _changes(web, rotation.id)] == [None, [ann, bo], [bo]]


def test_changes_are_edited_and_deleted_and_conflicts_explained(browser: Browser, web: Web) -> None:
    rotation, _ = _weekly(web, "Ann", "Bo")
    browser.sign_in(web.admin_token)
    assert rotation.next_handoff is not None
    first_at = rotation.next_handoff
    second_at = first_at + timedelta(days=7)

    async def schedule(conn: Any) -> list[changes.Change]:
        return [
            await changes.create(conn, rotation.id, at, changes.Fields(type="daily"), limit=20)
            for at in (first_at, second_at)
        ]

    first, second = web.run(schedule)
    base = f"/rotations/{rotation.id}/changes"
    edit = browser.client.get(f"{base}/{second.id}/edit").text
    assert _value(edit, "effective_at") == _berlin(second_at)
    clash = browser.client.post(
        f"{base}/{second.id}/edit",
        data={"csrf_token": browser.csrf, "effective_at": _berlin(first_at), "type": "hourly"},
    )
    assert clash.status_code == 409
    assert f"Scheduled change {first.id} of the same rotation already takes effect" in clash.text

    wrong = browser.client.post(
        f"{base}/{second.id}/edit",
        data={
            "csrf_token": browser.csrf,
            "effective_at": _berlin(second_at),
            "shift_length": "0",
            "active": "0",
        },
    )
    assert wrong.status_code == 422
    assert 'id="error-shift_length" role="status">must be a whole number from 1 to' in wrong.text
    assert 'id="error-active" role="status">must be a position in the list' in wrong.text

    # Past the form's own checks, the store's: no fifth person in a list of two.
    beyond = browser.client.post(
        f"{base}/{second.id}/edit",
        data={"csrf_token": browser.csrf, "effective_at": _berlin(second_at), "active": "5"},
    )
    assert beyond.status_code == 422
    assert 'id="error-active" role="status">must be a position in the participant list' in (
        beyond.text
    )

    moved = browser.client.post(
        f"{base}/{second.id}/edit",
        data={
            "csrf_token": browser.csrf,
            "effective_at": _berlin(second_at),
            "type": "weekly",
            "shift_length": "2",
        },
    )
    assert moved.status_code == 303, moved.text
    edited = next(c for c in _changes(web, rotation.id) if c.id == second.id)
    assert (edited.type, edited.shift_length) == ("weekly", 2)

    deleted = browser.client.post(f"{base}/{first.id}/delete", data={"csrf_token": browser.csrf})
    assert deleted.status_code == 303
    assert [c.id for c in _changes(web, rotation.id)] == [second.id]
    gone = browser.client.post(f"{base}/{first.id}/delete", data={"csrf_token": browser.csrf})
    assert gone.status_code == 404
    assert "no scheduled change" in gone.text.lower() or "not found" in gone.text.lower()


# ---- History in words ------------------------------------------------------------------------


def test_history_says_who_covers_whom_until_when_and_who_is_back(
    browser: Browser, web: Web
) -> None:
    rotation, (_, bo) = _weekly(web, "Ann", "Bo")
    now = _minute(web.clock.now())
    start, end = now + timedelta(minutes=1), now + timedelta(minutes=3)
    _add_override(web, rotation.id, start, end, bo)
    web.clock.offset = start - now + timedelta(seconds=1)
    web.process(rotation.id)
    web.clock.offset = end - now + timedelta(seconds=1)
    web.process(rotation.id)
    browser.sign_in(web.admin_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    wall = end.astimezone(ZONE).strftime("%a %H:%M")
    assert f"Bo covers Ann until {wall}</td>" in page
    assert "Ann back on call</td>" in page
    polled = browser.client.get(f"/rotations/{rotation.id}/live", headers={"HX-Request": "true"})
    assert f"Bo covers Ann until {wall}</td>" in polled.text


def test_people_who_share_a_name_are_told_apart_in_the_lists(browser: Browser, web: Web) -> None:
    rotation, _ = _weekly(web, "Ann", "Bo")

    async def namesakes(conn: Any) -> list[UUID]:
        now = web.clock.now()
        made = [await users.create(conn, "Cy", f"cy{i}@example.com", now=now) for i in (1, 2)]
        return [u.id for u in made]

    first, second = web.run(namesakes)
    now = _minute(web.clock.now())
    _add_override(web, rotation.id, now + timedelta(hours=1), now + timedelta(hours=2), first)
    _add_override(web, rotation.id, now + timedelta(hours=2), now + timedelta(hours=3), second)
    browser.sign_in(web.admin_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert "<strong>Cy (cy1@example.com)</strong> on call" in page
    assert "<strong>Cy (cy2@example.com)</strong> on call" in page
    form = browser.client.get(f"/rotations/{rotation.id}/overrides/new").text
    assert ">Cy (cy1@example.com)</option>" in form and ">Cy (cy2@example.com)</option>" in form


# ---- Readers ---------------------------------------------------------------------------------


def test_a_reader_sees_the_lists_but_no_controls_and_cannot_write(
    browser: Browser, web: Web
) -> None:
    rotation, (ann, bo) = _weekly(web, "Ann", "Bo")
    now = _minute(web.clock.now())
    made = _add_override(web, rotation.id, now + timedelta(hours=1), now + timedelta(hours=2), bo)
    browser.sign_in(web.reader_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert "<strong>Bo</strong> on call" in page
    for control in ("Cover this shift", "Add an override", "Schedule a change", "/delete"):
        assert control not in page
    base = f"/rotations/{rotation.id}"
    for url in (f"{base}/overrides/new", f"{base}/changes/new", f"{base}/overrides/{made.id}/edit"):
        assert browser.client.get(url).status_code == 403
    form = {
        "csrf_token": browser.csrf,
        "start": _berlin(now + timedelta(hours=3)),
        "end": _berlin(now + timedelta(hours=4)),
        "user_id": str(ann),
    }
    for url in (f"{base}/overrides", f"{base}/overrides/{made.id}/delete", f"{base}/changes"):
        refused = browser.client.post(url, data=form)
        assert refused.status_code == 403 and "reader token" in refused.text
    assert [o.id for o in _overrides(web, rotation.id)] == [made.id]
    assert _changes(web, rotation.id) == []


def test_a_form_post_without_the_security_token_is_refused(browser: Browser, web: Web) -> None:
    rotation, (_, bo) = _weekly(web, "Ann", "Bo")
    browser.sign_in(web.admin_token)
    now = _minute(web.clock.now())
    forged = browser.client.post(
        f"/rotations/{rotation.id}/overrides",
        data={
            "start": _berlin(now + timedelta(hours=1)),
            "end": _berlin(now + timedelta(hours=2)),
            "user_id": str(bo),
        },
    )
    assert forged.status_code == 403
    assert _overrides(web, rotation.id) == []


# ---- In a real browser, at desktop and phone width -------------------------------------------


def _shot(page: Any, name: str, size: str) -> None:
    """The page as it is, at the size the test runs at (`<name>-desktop.png`, `-phone.png`)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def _sign_in(page: Any, token: str) -> None:
    page.goto("/signin")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/rotations$"))


@pytest.mark.e2e
@pytest.mark.parametrize("size", list(SIZES))
def test_cover_a_shift_in_the_browser(page: Any, console: list[str], web: Web, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    rotation, _ = _weekly(web, "Ann", "Bo")
    web.user("Cy")
    _sign_in(page, web.admin_token)
    page.goto(f"/rotations/{rotation.id}")
    expect(page.locator(".timeline .seg.override")).to_have_count(0)
    page.locator("a:has-text('Cover this shift')").nth(1).click()  # Bo's next shift
    expect(page.locator("h1")).to_have_text("Cover a shift")
    expect(page.locator("#start")).to_have_value(re.compile(r"T09:00$"))
    page.select_option("#user_id", label="Cy")
    page.fill("#note", "Bo is travelling")
    page.click("button:has-text('Save the override')")
    expect(page).to_have_url(ROTATION_URL)
    expect(page.locator("#flash")).to_have_text("Saved the override.")
    expect(page.locator("#overrides .plan-list li")).to_have_count(1)
    expect(page.locator("#overrides .plan-list li")).to_contain_text("Cy on call")
    expect(page.locator("#overrides .plan-list li")).to_contain_text("Bo is travelling")
    expect(page.locator(".timeline .seg.override")).to_have_count(1)
    expect(page.locator(".timeline .seg.override")).to_have_attribute("title", re.compile("^Cy:"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "rotation-cover-shift", size)

    page.click("#overrides a:has-text('Edit')")
    page.select_option("#user_id", label="Nobody (no one is on call)")
    page.click("button:has-text('Save changes')")
    expect(page.locator("#overrides .plan-list li")).to_contain_text("nobody on call")
    expect(page.locator(".timeline .seg.override.nobody")).to_have_count(1)
    page.click("#overrides button:has-text('Delete')")
    expect(page.locator("#flash")).to_have_text("Removed the override.")
    expect(page.locator("#overrides .plan-list li")).to_have_count(0)
    assert console == []


@pytest.mark.e2e
@pytest.mark.parametrize("size", list(SIZES))
def test_schedule_a_change_in_the_browser(
    page: Any, console: list[str], web: Web, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    rotation, _ = _weekly(web, "Ann", "Bo")
    web.user("Cy")
    _sign_in(page, web.admin_token)
    page.goto(f"/rotations/{rotation.id}")
    page.click("a:has-text('Schedule a change')")
    expect(page.locator("h1")).to_have_text("Schedule a change")
    expect(page.locator("#effective_at")).to_have_value(re.compile(r"T09:00$"))
    preview = page.locator("#preview .change-preview li strong")
    expect(preview).to_have_count(8)
    # Nothing changed yet: Bo takes over at the handoff, then Ann a week later.
    expect(preview.nth(0)).to_have_text("Bo")
    expect(preview.nth(1)).to_have_text("Ann")
    page.select_option("#type", "daily")
    page.select_option("[aria-label='Participant 3']", label="Cy")  # changing it is enough
    # Daily shifts from the change on: Bo (still listed) stays on call, then Cy, then Ann.
    expect(preview.nth(1)).to_have_text("Cy")
    expect(preview.nth(2)).to_have_text("Ann")
    expect(page.locator("#preview .zone-time").nth(1)).to_contain_text("09:00")
    page.fill("#shift_length", "0")
    expect(page.locator("#preview-problem")).to_contain_text("Shift length: must be")
    expect(page.locator("#error-shift_length")).to_contain_text("must be a whole number")
    expect(page.locator("#shift_length")).to_have_attribute("aria-invalid", "true")
    page.fill("#shift_length", "1")
    expect(page.locator("#error-shift_length")).to_be_empty()
    expect(preview.nth(1)).to_have_text("Cy")
    page.fill("#note", "Cy joins the rotation")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "rotation-schedule-change", size)
    page.click("button:has-text('Schedule the change')")
    expect(page).to_have_url(ROTATION_URL)
    expect(page.locator("#flash")).to_have_text("Saved the scheduled change.")
    listed = page.locator("#changes .plan-list li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("daily shifts, shift length 1; participants Ann, Bo, Cy")
    _shot(page, "rotation-with-change", size)
    page.click("#changes button:has-text('Delete')")
    expect(page.locator("#changes .plan-list li")).to_have_count(0)
    assert console == []
