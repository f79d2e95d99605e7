"""One colour per person everywhere (issue 23, item 5): from the person's id, from a palette
with enough contrast for white text, the same on the rotation page, the calendar and the person
page in Chromium, and a legend that says what stripes and grey mean."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from playwright.sync_api import expect

from handoff.store.projections import Shift
from handoff.web import colours
from handoff.web.timeline import segments

from .client import Browser
from .conftest import Web
from .test_browser import sign_in
from .test_calendar import NOW, team  # noqa: F401 (the two rotations of the calendar tests)

CSS = Path(colours.__file__).parent / "static" / "app.css"


def _palette() -> dict[int, str]:
    return {
        int(n): c
        for n, c in re.findall(r"\.seg-(\d+) \{ background: (#[0-9a-f]{6}); \}", CSS.read_text())
    }


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_a_person_s_colour_is_a_function_of_their_id_alone() -> None:
    someone = UUID("6f1c3b52-2d3e-4b7a-9a51-0c8f5e1d2a77")
    assert colours.of(someone) == colours.of(UUID(str(someone)))
    assert colours.of(someone) == 5  # stable across processes and releases (a golden value)
    spread = {colours.of(uuid4()) for _ in range(500)}
    assert spread == set(range(colours.PALETTE_SIZE))


def test_the_palette_has_every_colour_and_each_holds_white_text_at_4_5_to_1() -> None:
    palette = _palette()
    assert sorted(palette) == list(range(colours.PALETTE_SIZE))
    for index, colour in palette.items():
        ratio = (1.0 + 0.05) / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, (index, colour, ratio)


def test_the_timeline_gives_each_person_their_own_colour_whatever_the_order() -> None:
    ann, bo = uuid4(), uuid4()
    t = datetime(2026, 12, 7, tzinfo=UTC)
    shifts = [
        Shift(user_id=u, start=t + i * timedelta(days=1), end=t + (i + 1) * timedelta(days=1))
        for i, u in enumerate([bo, ann, None, bo])
    ]
    drawn = segments(shifts, {ann: "Ann", bo: "Bo"}, t)
    assert [s.colour for s in drawn] == [colours.of(bo), colours.of(ann), 0, colours.of(bo)]
    assert drawn[2].nobody


def test_the_legends_say_what_stripes_and_grey_mean(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    rotation = web.rotation("primary", "weekly", datetime(2026, 1, 5, 9, tzinfo=UTC), "UTC", [ann])
    browser.sign_in(web.admin_token)
    page = browser.client.get(f"/rotations/{rotation.id}").text
    assert "stripes: override (someone covers)" in page and "grey: nobody on call" in page
    assert "the rotation's own shift" not in page
    calendar = browser.client.get("/calendar").text
    assert "stripes: override" in calendar and "grey: nobody on call" in calendar


def _colour_of(locator: Any) -> str:
    colour: str = locator.first.evaluate("element => getComputedStyle(element).backgroundColor")
    return colour


def test_one_colour_per_person_on_every_page_in_chromium(
    page: Any,
    web: Web,
    team: dict[str, Any],  # noqa: F811
) -> None:
    ann, payments, database = team["ann"], team["payments"], team["database"]
    sign_in(page, web.admin_token)
    seen: dict[str, str] = {}
    for rotation in (payments, database):
        page.goto(f"/rotations/{rotation.id}")
        seg = page.locator(".timeline .seg", has_text="Ann")
        expect(seg.first).to_be_visible()
        seen[f"rotation {rotation.name}"] = _colour_of(seg)
    page.goto(f"/calendar?view=month&date={NOW.date().isoformat()}")
    bars = page.locator(f".cal-bar[data-user='{ann}']:not(.override)")
    expect(bars.first).to_be_attached()
    seen["calendar"] = _colour_of(bars)
    page.goto(f"/people/{ann}")
    seen["person"] = _colour_of(page.locator(".person-colour"))
    seen["person's shifts"] = _colour_of(page.locator("table.shifts .dot"))
    assert len(set(seen.values())) == 1, seen
    assert set(seen.values()) != {"rgba(0, 0, 0, 0)"}
