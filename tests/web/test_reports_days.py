"""The Reports page's days (reports.md: a person's zone is the default zone of their pages;
without one, the rotation's or schedule's), its schedule filter, and what it shows when a
report is too big to work out. Over plain HTTP; future days, so the numbers are the
projection's and need no engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from handoff import reports as core
from handoff.store import accounts, schedules, tokens, users

from .client import Browser
from .conftest import Web

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"


def _hours_of(day: date, zone: str, start: datetime) -> float:
    """Ann's hours in `day` (midnight to midnight in `zone`), counted hour by hour: she is on
    call until a day after `start` (her first turn, from the rotation's creation), then on
    every other day, Bo on the days between."""
    first = datetime.combine(day, time(), ZoneInfo(zone))
    last = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(zone))
    hours = 0
    at = first
    while at < last:
        hours += at < start or (at - start).days % 2 == 0
        at += timedelta(hours=1)
    return float(hours)


def _person_token(web: Web, name: str, zone: str) -> str:
    async def make(conn: Any) -> str:
        person = await users.create(conn, name, None, now=web.clock.now(), time_zone=zone)
        await accounts.set_role(conn, person.id, "reader")
        _, secret = await tokens.create(conn, name, None, now=web.clock.now(), user_id=person.id)
        return secret

    secret: str = web.run(make)
    return secret


def _setup(web: Web) -> tuple[UUID, datetime]:
    """Ann and Bo in a New York rotation of 24-hour shifts from midnight UTC three days on."""
    ann, bo = web.user("Ann"), web.user("Bo")
    today = web.clock.now().astimezone(UTC).date()
    start = datetime.combine(today + timedelta(days=3), time(), UTC)
    rotation = web.rotation("primary", "hourly", start, NEW_YORK, [ann, bo], shift_length=24)
    return rotation.id, start


def _ann(page: str) -> str:
    """Ann's hours in the page's table (the first row of hers)."""
    row = page[page.index(">Ann</a></td>") :]
    return row[row.index('data-label="Hours">') + len('data-label="Hours">') :].split("<")[0]


def _shown(browser: Browser, day: date, **more: str) -> str:
    params = {"since": day.isoformat(), "until": day.isoformat()} | more
    response = browser.client.get("/reports", params=params)
    assert response.status_code == 200, response.text
    return response.text


def test_the_range_is_in_the_viewers_days_else_the_rotations_else_utc(
    browser: Browser, web: Web
) -> None:
    rotation_id, start = _setup(web)
    day = start.date() + timedelta(days=1)  # Bo's first day in UTC
    browser.sign_in(_person_token(web, "Kim", TOKYO))
    page = _shown(browser, day)
    assert f"day in {TOKYO}" in page
    # Tokyo's day begins 9 hours before UTC's: the last 9 hours of Ann's turn fall in it.
    assert _hours_of(day, TOKYO, start) == 9.0
    assert _ann(page) == "9.0"
    reader = Browser(web)
    try:
        reader.sign_in(web.reader_token)
        # A token has no zone: the chosen rotation's days (New York's begins 4 or 5 hours
        # after UTC's, and ends in Ann's next turn).
        chosen = _shown(reader, day, rotation=str(rotation_id))
        assert f"day in {NEW_YORK}" in chosen
        assert _hours_of(day, NEW_YORK, start) in (4.0, 5.0)
        assert _ann(chosen) == str(_hours_of(day, NEW_YORK, start))
        # Neither: UTC days, the whole of which is Bo's.
        utc = _shown(reader, day)
        assert "day in UTC" in utc
        assert _ann(utc) == str(_hours_of(day, "UTC", start)) == "0.0"
    finally:
        reader.client.close()


def test_a_schedule_is_chosen_in_its_days_and_linked(browser: Browser, web: Web) -> None:
    rotation_id, start = _setup(web)

    async def make(conn: Any) -> UUID:
        draft = schedules.Draft("Team", TOKYO, "priority", [rotation_id])
        return (await schedules.create(conn, draft, now=web.clock.now())).id

    schedule_id = web.run(make)
    browser.sign_in(web.reader_token)
    page = _shown(browser, start.date(), schedule=str(schedule_id))
    assert f"day in {TOKYO}" in page
    assert f'<option value="{schedule_id}" selected>Team</option>' in page
    assert f'href="/schedules/{schedule_id}">Team</a>' in page
    day = start.date() + timedelta(days=1)
    assert _ann(_shown(browser, day, schedule=str(schedule_id))) == "9.0"
    csv_text = browser.client.get(
        "/reports.csv", params={"since": start.date().isoformat(), "schedule": str(schedule_id)}
    )
    assert csv_text.status_code == 200 and str(schedule_id) in csv_text.text


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bound that a day of one hourly rotation passes (the server runs in this process)."""
    monkeypatch.setattr(core, "MAX_PIECES", 10)


def test_a_report_too_big_to_work_out_says_so(
    browser: Browser, web: Web, small_budget: None
) -> None:
    """At 00:30 UTC, an hourly rotation has 23 shifts left today: even the default range (the
    last 30 days, to the end of today) is over the bound, so the page says why and shows no
    rows instead of failing; so does the person page's summary of the next 30 days."""
    midnight = datetime.combine(web.clock.now().astimezone(UTC).date(), time(), UTC)
    web.clock.set(midnight + timedelta(minutes=30))
    ann, bo = web.user("Ann"), web.user("Bo")
    rotation = web.rotation("busy", "hourly", web.clock.now(), "UTC", [ann, bo])
    browser.sign_in(web.reader_token)
    page = browser.client.get("/reports", params={"rotation": str(rotation.id)})
    assert page.status_code == 200
    assert page.text.count("over 10 shifts") == 2  # the rotation's, then everyone's
    assert "No rows in this range" in page.text
    person = browser.client.get(f"/people/{ann}")
    assert person.status_code == 200
    assert "over 10 shifts" in person.text
