"""The calendar page: week and month, navigation, filters, time zones, phone width.

The layout's arithmetic (periods, placing instants on days across DST) is checked pure; the
page itself in Debian's Chromium, in the Europe/Berlin zone, with the server's clock set to a
fixed Wednesday.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from handoff.store import changes, overrides, users
from handoff.web import colours
from handoff.web.calendar_layout import Ruler, period, wall

from .conftest import DESKTOP, Web
from .screens import shoot

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")
PHONE = {"width": 390, "height": 844}


def test_a_week_runs_monday_to_sunday_and_a_month_fills_whole_weeks() -> None:
    week = period("week", date(2026, 12, 2))
    assert (week.first, week.last, week.title) == (
        date(2026, 11, 30),
        date(2026, 12, 6),
        "30 Nov – 06 Dec 2026",
    )
    assert (week.previous, week.next) == (date(2026, 11, 25), date(2026, 12, 9))
    month = period("month", date(2026, 12, 31))
    assert (month.first, month.last, month.title) == (
        date(2026, 11, 30),
        date(2027, 1, 3),
        "December 2026",
    )
    assert (month.previous, month.next) == (date(2026, 11, 1), date(2027, 1, 1))
    assert len(month.days) == 35
    assert not month.shown(date(2026, 11, 30)) and month.shown(date(2026, 12, 1))
    with pytest.raises(ValueError, match="unknown view"):
        period("year", date(2026, 12, 2))


def test_an_instant_sits_in_its_own_days_column_across_dst() -> None:
    # The week of Berlin's spring-forward night: Sunday 29 March 2027 has 23 hours.
    days = period("week", date(2027, 3, 24)).days
    ruler = Ruler(days, BERLIN)
    column = 100 / 7
    before = datetime(2027, 3, 23, 9, tzinfo=BERLIN)  # Tuesday 09:00 CET
    after = datetime(2027, 3, 29, 9, tzinfo=BERLIN)  # the next week's Monday
    sunday_nine = datetime(2027, 3, 28, 9, tzinfo=BERLIN)  # 09:00 CEST, after the gap
    assert ruler.at(before) == pytest.approx(1 * column + column * 9 / 24)
    assert ruler.at(sunday_nine) == pytest.approx(6 * column + column * 8 / 23)
    assert ruler.at(after) == 100.0
    assert ruler.at(datetime(2027, 3, 1, tzinfo=UTC)) == 0.0
    assert ruler.start == datetime(2027, 3, 21, 23, tzinfo=UTC)
    assert ruler.end == datetime(2027, 3, 28, 22, tzinfo=UTC)
    assert wall(BERLIN, sunday_nine, date(2027, 3, 28)) == "09:00"
    assert wall(BERLIN, sunday_nine, date(2027, 3, 27)) == "Sun 28 Mar 09:00"


def _sign_in(page: Any, token: str) -> None:
    page.goto("/signin")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/rotations$"))


@pytest.fixture
def berlin(chromium: Any, web: Web) -> Iterator[tuple[Any, list[str]]]:
    """A page whose browser runs in Europe/Berlin, and the console errors it logs."""
    context = chromium.new_context(base_url=web.url, viewport=DESKTOP, timezone_id="Europe/Berlin")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened, errors
    finally:
        context.close()


@pytest.fixture
def team(web: Web) -> dict[str, Any]:
    """Two rotations in two zones, made at NOW: payments (weekly, Berlin, Ann then Bo) and
    database (daily at 09:00 New York, Cy then Ann)."""
    web.clock.offset = NOW - datetime.now(UTC)
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    payments = web.rotation(
        "payments", "weekly", datetime(2026, 11, 30, 9, tzinfo=BERLIN), "Europe/Berlin", [ann, bo]
    )
    database = web.rotation(
        "database",
        "daily",
        datetime(2026, 11, 1, 9, tzinfo=ZoneInfo("America/New_York")),
        "America/New_York",
        [cy, ann],
    )
    return {"ann": ann, "bo": bo, "cy": cy, "payments": payments, "database": database}


def _lane(page: Any, rotation: Any) -> Any:
    return page.locator(f".cal-week .cal-lane[data-rotation='{rotation.id}']")


def _background(locator: Any) -> str:
    image: str = locator.evaluate("element => getComputedStyle(element).backgroundImage")
    return image


def test_week_and_month_in_the_viewers_zone_with_navigation(
    berlin: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = berlin
    _sign_in(page, web.reader_token)
    page.click("nav >> text=Calendar")
    # The script sends the browser's zone; the server draws the week in it.
    expect(page).to_have_url(re.compile(r"/calendar\?tz=Europe%2FBerlin$"))
    expect(page.locator("#cal-zone")).to_have_text("Europe/Berlin")
    expect(page.locator(".cal-title")).to_have_text("30 Nov – 06 Dec 2026")
    expect(page.locator(".cal-day.today")).to_have_text("Wed 02")
    expect(page.locator(".cal-lane .cal-label")).to_have_text(["database", "payments"])

    payments = _lane(page, team["payments"]).locator(".cal-bar")
    expect(payments).to_have_count(1)  # Ann from now until Monday 7 December, 09:00 Berlin
    expect(payments).to_contain_text("Ann")
    expect(payments).to_have_attribute("title", re.compile(r"Mon 07 Dec 2026 09:00 CET"))
    # Daily at 09:00 in New York is 15:00 in Berlin: Cy until today 15:00, then Ann, Cy, ...
    database = _lane(page, team["database"]).locator(".cal-bar")
    expect(database.first).to_contain_text("Cy")
    expect(database.nth(1)).to_have_text("Ann 15:00")
    ann_colour = re.compile(rf"\bseg-{colours.of(team['ann'])}\b")
    expect(database.nth(1)).to_have_class(ann_colour)  # Ann's colour...
    expect(database.first).to_have_attribute("title", re.compile(r"09:00 EST \(America/New_York\)"))
    # A tap shows the shift in the viewer's zone and in the rotation's own.
    database.nth(1).click()
    popover = page.locator(".cal-pop:popover-open")
    expect(popover.locator(".rotation-zone")).to_have_text(
        "Wed 02 Dec 2026 09:00 EST → Thu 03 Dec 2026 09:00 EST"
    )
    expect(popover).to_contain_text("Wed 02 Dec 2026 15:00 CET → Thu 03 Dec 2026 15:00 CET")
    page.keyboard.press("Escape")
    expect(page.locator(".cal-pop:popover-open")).to_have_count(0)
    expect(page.locator(".cal-now")).to_have_count(2)
    shoot(page, "calendar-week")

    page.click("a.chip:has-text('Month')")
    expect(page.locator(".cal-title")).to_have_text("December 2026")
    expect(page.locator(".cal-week")).to_have_count(5)
    # Ann, Bo and Ann again in payments through the month (the first week's shift, then weekly).
    month_bars = page.locator(f".cal-lane[data-rotation='{team['payments'].id}'] .cal-bar")
    # Bo's shifts (7-14 and 21-28 December) each cross a week row's edge: two pieces each.
    expect(month_bars.filter(has_text="Bo")).to_have_count(4)
    for bar in page.locator(".cal-bar").filter(has_text="Ann").all():
        expect(bar).to_have_class(ann_colour)  # ...in every view
    shoot(page, "calendar-month")
    page.click("a:has-text('Next month')")
    expect(page.locator(".cal-title")).to_have_text("January 2027")
    expect(page).to_have_url(re.compile(r"view=month&date=2027-01-01&tz=Europe%2FBerlin"))
    page.click("a:has-text('Today')")
    expect(page.locator(".cal-title")).to_have_text("December 2026")
    page.click("a.chip:has-text('Week')")
    page.click("a:has-text('Previous week')")
    expect(page.locator(".cal-title")).to_have_text("23 Nov – 29 Nov 2026")
    expect(page.locator(".cal-bar")).to_have_count(0)  # before the rotations were made
    assert errors == []


def test_filters_by_person_and_by_rotation(
    berlin: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = berlin
    _sign_in(page, web.admin_token)
    page.goto("/calendar?view=month")
    expect(page.locator(".cal-title")).to_have_text("December 2026")
    page.select_option("#cal-person", label="Bo")
    page.click(".cal-filters button:has-text('Show')")
    expect(page).to_have_url(re.compile(rf"person={team['bo']}"))
    # Bo is only in payments: one lane, and only Bo's shifts in it.
    expect(page.locator(".cal-week").first.locator(".cal-lane .cal-label")).to_have_text(
        ["payments"]
    )
    expect(page.locator(".cal-bar")).to_have_count(4)
    assert set(page.locator(".cal-bar > span").all_inner_texts()) == {"Bo"}
    expect(page.locator("#cal-person")).to_have_value(str(team["bo"]))

    page.select_option("#cal-person", label="Everyone")
    page.select_option("#cal-rotation", label="database")
    page.click(".cal-filters button:has-text('Show')")
    expect(page.locator(".cal-week").first.locator(".cal-lane .cal-label")).to_have_text(
        ["database"]
    )
    names = set(page.locator(".cal-bar > span").all_inner_texts())
    assert names == {"Cy", "Ann"}
    assert errors == []


def test_people_who_share_a_name_are_told_apart(
    berlin: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = berlin

    async def arrange(conn: Any) -> None:
        await conn.execute(
            "UPDATE users SET email = 'ann@example.com' WHERE id = %s", (team["ann"],)
        )
        await users.create(conn, "Ann", "ann.other@example.com", now=web.clock.now())

    web.run(arrange)
    _sign_in(page, web.reader_token)
    page.goto("/calendar")
    expect(_lane(page, team["payments"]).locator(".cal-bar")).to_have_text(
        ["Ann (ann@example.com) 11:00"]
    )
    options = page.locator("#cal-person option").all_inner_texts()
    assert sorted(options) == [
        "Ann (ann.other@example.com)",
        "Ann (ann@example.com)",
        "Bo",
        "Cy",
        "Everyone",
    ]
    assert errors == []


def test_values_the_page_cannot_use_show_messages_not_errors(
    berlin: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = berlin
    _sign_in(page, web.reader_token)
    response = page.goto(
        "/calendar?view=year&date=2026-02-30&tz=Mars%2FBase&person=nobody&rotation="
        + "00000000-0000-4000-8000-000000000000"
    )
    assert response.status == 200
    expect(page.locator(".error")).to_have_text(
        [
            re.compile("no 'year' view"),
            re.compile("'2026-02-30' is not a date"),
            re.compile("Unknown time zone 'Mars/Base'.*UTC"),
            re.compile("no person 'nobody'"),
            re.compile("no such rotation"),
        ]
    )
    expect(page.locator("#cal-zone")).to_have_text("UTC")
    expect(page.locator(".cal-title")).to_have_text("30 Nov – 06 Dec 2026")
    expect(page.locator(".cal-lane .cal-label")).to_have_text(["database", "payments"])
    for far in ("0001-01-01", "9999-12-31"):
        response = page.goto(f"/calendar?view=month&date={far}&tz=Pacific%2FKiritimati")
        assert response.status == 200
        expect(page.locator(".error")).to_have_text(re.compile(f"'{far}' is out of range"))
        expect(page.locator(".cal-title")).to_have_text("December 2026")
    assert errors == []


def test_at_phone_width_the_calendar_is_a_list_of_days(
    berlin: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = berlin
    page.set_viewport_size(PHONE)
    _sign_in(page, web.reader_token)
    page.goto("/calendar")
    expect(page.locator(".cal-title")).to_have_text("30 Nov – 06 Dec 2026")
    expect(page.locator(".cal-grid")).to_be_hidden()
    days = page.locator(".cal-list-day")
    expect(days).to_have_count(7)
    expect(days.locator("h2")).to_have_text(
        [
            "Monday 30 November",
            "Tuesday 01 December",
            re.compile(r"Wednesday 02 December\s+today"),
            "Thursday 03 December",
            "Friday 04 December",
            "Saturday 05 December",
            "Sunday 06 December",
        ]
    )
    expect(days.nth(0).locator(".empty")).to_have_text("Nobody on call.")
    today = days.nth(2)
    expect(today.locator(".cal-item")).to_have_count(3)  # database: Cy, then Ann; payments: Ann
    expect(today.locator(".cal-item").nth(1)).to_contain_text(
        "database Ann 15:00 → Thu 03 Dec 15:00"
    )
    today.locator(".cal-item").nth(1).click()
    expect(page.locator(".cal-pop:popover-open .rotation-zone")).to_contain_text("EST")
    page.keyboard.press("Escape")
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/calendar?view=month")
    expect(page.locator(".cal-list-day")).to_have_count(31)
    shoot(page, "calendar-phone")
    assert errors == []


def test_overrides_in_their_own_pattern_and_pending_changes_marked(
    berlin: tuple[Any, list[str]], web: Web, team: dict[str, Any]
) -> None:
    page, errors = berlin
    # Cy, who is not in payments, covers Ann's Thursday night there.
    cover = overrides.Draft(
        datetime(2026, 12, 3, 17, tzinfo=UTC), datetime(2026, 12, 4, 7, tzinfo=UTC), team["cy"]
    )
    joins = changes.Fields(participants=[team["cy"], team["ann"], team["bo"]])

    async def arrange(conn: Any) -> None:
        await overrides.create(conn, team["payments"].id, cover, limit=10)
        # At Friday's boundary in New York (15:00 in Berlin), Bo joins the database rotation.
        at = datetime(2026, 12, 4, 14, tzinfo=UTC)
        await changes.create(conn, team["database"].id, at, joins, "Bo joins", limit=10)

    web.run(arrange)
    _sign_in(page, web.reader_token)
    page.goto("/calendar")
    expect(page.locator(".cal-title")).to_have_text("30 Nov – 06 Dec 2026")
    payments = _lane(page, team["payments"]).locator(".cal-bar")
    expect(payments).to_have_text(["Ann 11:00", "Cy 18:00", "Ann 08:00"])
    expect(payments.nth(1)).to_have_attribute(
        "title",
        "Cy (override) · payments · Thu 03 Dec 2026 18:00 CET → Fri 04 Dec 2026 08:00 CET"
        " (Europe/Berlin)",
    )
    # Its own pattern: stripes over the person's colour, where a shift has none.
    assert "repeating-linear-gradient" in _background(payments.nth(1))
    assert _background(payments.nth(0)) == "none"
    database = _lane(page, team["database"])
    expect(database.locator(".cal-change")).to_have_attribute(
        "aria-label",
        "Scheduled change of database at Fri 04 Dec 2026 15:00 CET: participants Cy, Ann, Bo"
        " (Bo joins)",
    )
    # The projection already applies it: Bo's first database shift is Saturday's.
    expect(database.locator(".cal-bar").filter(has_text="Bo")).to_have_text(["Bo 15:00"])
    shoot(page, "calendar-override")
    # Filtered to Cy, payments is there for the override alone.
    page.select_option("#cal-person", label="Cy")
    page.click(".cal-filters button:has-text('Show')")
    expect(page.locator(".cal-lane .cal-label")).to_have_text(["database", "payments"])
    expect(_lane(page, team["payments"]).locator(".cal-bar.override")).to_have_text(["Cy 18:00"])
    expect(_lane(page, team["payments"]).locator(".cal-bar")).to_have_count(1)
    # Filtered to Bo, database is there for the change that will add him.
    page.select_option("#cal-person", label="Bo")
    page.click(".cal-filters button:has-text('Show')")
    expect(page.locator(".cal-lane .cal-label")).to_have_text(["database", "payments"])
    expect(_lane(page, team["database"]).locator(".cal-bar")).to_have_text(["Bo 15:00"])

    page.set_viewport_size(PHONE)
    page.goto("/calendar")
    days = page.locator(".cal-list-day")
    expect(days.nth(3).locator(".cal-item.override")).to_contain_text(
        "payments Cy override 18:00 → Fri 04 Dec 08:00"
    )
    expect(days.nth(4).locator(".cal-list-change")).to_contain_text(
        "Scheduled change of database at Fri 04 Dec 2026 15:00 CET"
    )
    assert errors == []
