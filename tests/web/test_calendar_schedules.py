"""Schedules on the calendar: each schedule's final on-call as a row above the rotations, in
the week and month grids and the phone's list of days, bounded as the rotations' lanes are,
and narrowed by the calendar's search, rotation and person filters."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from handoff.store import schedules
from handoff.web import calendar_layout

from .client import Browser
from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
WEEK = "/calendar?view=week&date=2026-12-09&tz=UTC"  # Monday 7 to Sunday 13 December 2026
GAP = datetime(2026, 12, 10, 10, tzinfo=UTC)


def make_schedule(web: Web, name: str, combine: str, layers: list[UUID]) -> schedules.Schedule:
    async def create(conn: Any) -> schedules.Schedule:
        draft = schedules.Draft(name, "UTC", combine, layers)
        return await schedules.create(conn, draft, now=web.clock.now())

    made: schedules.Schedule = web.run(create)
    return made


def nobody_override(web: Web, schedule_id: UUID, start: datetime, hours: int) -> None:
    async def create(conn: Any) -> None:
        draft = schedules.OverrideDraft(start, start + timedelta(hours=hours), None)
        await schedules.create_override(conn, schedule_id, draft, now=web.clock.now())

    web.run(create)


def payments(web: Web) -> dict[str, Any]:
    """A union schedule of a daily pair and a weekly single, with nobody on call for two hours
    on Thursday 10 December: bars of two people, and a gap."""
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    primary = web.rotation("Primary", "daily", START, "UTC", [ann, bo])
    secondary = web.rotation("Secondary", "weekly", START, "UTC", [cy])
    s = make_schedule(web, "Payments", "union", [primary.id, secondary.id])
    nobody_override(web, s.id, GAP, 2)
    return {"s": s, "ann": ann, "bo": bo, "cy": cy, "primary": primary, "secondary": secondary}


def _titles(text: str, schedule_id: UUID) -> list[str]:
    """The bars' titles of the schedule's rows in the grid (one row per week)."""
    lane = f'<div class="cal-row cal-lane cal-schedule" data-schedule="{schedule_id}">'
    rows = re.findall(re.escape(lane) + r"(.*?)</div>\s*</div>", text, re.S)
    bar = r'<a class="cal-bar[^>]*title="([^"]*)"'
    return [html.unescape(t) for row in rows for t in re.findall(bar, row)]


def test_a_schedule_is_a_row_of_its_final_on_call(web: Web, browser: Browser) -> None:
    made = payments(web)
    assert browser.sign_in(web.admin_token).status_code == 303
    text = browser.client.get(WEEK).text
    titles = _titles(text, made["s"].id)
    assert any(t.startswith("Ann, Cy · schedule Payments · ") for t in titles), titles
    assert any(t.startswith("Bo, Cy · schedule Payments · ") for t in titles), titles
    gap = "nobody (schedule override) · schedule Payments · Thu 10 Dec 2026 10:00 UTC → Thu 10"
    assert any(t.startswith(gap) for t in titles), titles
    # The schedule's row comes before the rotations' lanes, and links to the schedule.
    assert text.index(f'data-schedule="{made["s"].id}"') < text.index("data-rotation=")
    assert f'href="/schedules/{made["s"].id}"' in text
    # The phone's list of days: Thursday lists the gap, from 10:00 to 12:00.
    thursday = text.split("Thursday 10 December")[1].split("</ul>")[0]
    assert "nobody" in thursday and "10:00 → 12:00" in thursday
    month = browser.client.get("/calendar?view=month&date=2026-12-09&tz=UTC").text
    assert len(_titles(month, made["s"].id)) > len(titles)


def test_schedules_drawn_are_bounded_and_the_rest_counted(web: Web, browser: Browser) -> None:
    ann = web.user("Ann")
    rotation = web.rotation("Only", "weekly", START, "UTC", [ann])
    for i in range(12):
        make_schedule(web, f"S{i:02}", "priority", [rotation.id])
    assert browser.sign_in(web.admin_token).status_code == 303
    week = browser.client.get(WEEK).text
    assert len(set(re.findall(r'cal-schedule" data-schedule="([^"]+)"', week))) == 10
    assert "2 more schedules not shown" in week
    month = browser.client.get("/calendar?view=month&date=2026-12-09&tz=UTC").text
    assert len(set(re.findall(r'cal-schedule" data-schedule="([^"]+)"', month))) == 4
    assert "8 more schedules not shown" in month
    searched = browser.client.get(WEEK + "&q=S1").text
    assert len(set(re.findall(r'cal-schedule" data-schedule="([^"]+)"', searched))) == 2
    assert "more schedules not shown" not in searched


def test_the_filters_narrow_the_schedules(web: Web, browser: Browser) -> None:
    made = payments(web)
    dan = web.user("Dan")
    other = web.rotation("Other", "weekly", START, "UTC", [dan])
    elsewhere = make_schedule(web, "Elsewhere", "priority", [other.id])
    assert browser.sign_in(web.admin_token).status_code == 303
    both = browser.client.get(WEEK).text
    assert f'data-schedule="{made["s"].id}"' in both and f'data-schedule="{elsewhere.id}"' in both
    of_rotation = browser.client.get(WEEK + f"&rotation={made['primary'].id}").text
    assert f'data-schedule="{made["s"].id}"' in of_rotation
    assert f'data-schedule="{elsewhere.id}"' not in of_rotation
    # A person sees the schedules they may be on call in, and only their own intervals there.
    of_dan = browser.client.get(WEEK + f"&person={dan}").text
    assert f'data-schedule="{elsewhere.id}"' in of_dan
    assert f'data-schedule="{made["s"].id}"' not in of_dan
    of_ann = browser.client.get(WEEK + f"&person={made['ann']}").text
    titles = _titles(of_ann, made["s"].id)
    assert titles and all(t.split(" · ")[0] in ("Ann", "Ann, Cy") for t in titles), titles


def test_a_schedule_is_drawn_on_the_first_page_of_lanes_only(web: Web, browser: Browser) -> None:
    """The next page of lanes continues the rotations; a schedule is not drawn again there,
    even one whose layer is on that page."""
    ann = web.user("Ann")
    lanes = calendar_layout.LANES["month"]
    made = [web.rotation(f"R{i:02}", "weekly", START, "UTC", [ann]) for i in range(lanes + 1)]
    s = make_schedule(web, "Payments", "priority", [made[-1].id])
    assert browser.sign_in(web.admin_token).status_code == 303
    first = browser.client.get("/calendar?view=month&date=2026-12-09&tz=UTC").text
    assert f'data-schedule="{s.id}"' in first and 'id="cal-schedules-first"' not in first
    assert "1 more rotation not shown" in first
    [following] = re.findall(r'href="([^"]+)" rel="next">show the next rotations', first)
    second = browser.client.get(html.unescape(following)).text
    assert f'data-rotation="{made[-1].id}"' in second
    assert f'data-rotation="{made[0].id}"' not in second
    assert "data-schedule=" not in second and "more schedules not shown" not in second
    [back] = re.findall(r'id="cal-schedules-first">[^<]*<a href="([^"]+)"', second)
    again = browser.client.get(html.unescape(back)).text
    assert f'data-schedule="{s.id}"' in again and f'data-rotation="{made[0].id}"' in again
