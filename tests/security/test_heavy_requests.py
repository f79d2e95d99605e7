"""No request can delay a handoff (issue 24.2), and a calendar page is bounded.

`handoff up` runs the engine in a process of its own: heavy pages keep the server's event loop
busy across a boundary while the handoff is recorded within engine.md's steady-state lag goal
(200 ms from the boundary). The calendar draws at most LANES[view] rotations and says how many
it leaves out.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
import psycopg
import pytest

from handoff.chaos.api import listening_url, wait_for
from handoff.web.calendar_layout import LANES, MAX_LANES

from .conftest import Secured

LAG_GOAL = timedelta(milliseconds=200)  # engine.md: steady p99 lag from boundary to record
HEAVY_CLIENTS = 3
ROTATIONS = 120  # of the person the heavy page shows
HANDOFF = str(Path(sys.executable).parent / "handoff")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(base_url: str, token: str) -> httpx.Client:
    browser = httpx.Client(base_url=base_url, follow_redirects=False, timeout=120)
    form = browser.get("/signin")
    found = _CSRF.search(form.text)
    assert found
    signed = browser.post("/signin", data={"csrf_token": found.group(1), "token": token})
    assert signed.status_code == 303, signed.text
    return browser


def test_a_calendar_draws_a_bounded_number_of_rotations(secured: Secured) -> None:
    admin = secured.admin
    for i in range(MAX_LANES + 3 - _rotation_count(secured)):
        made = admin.post(
            "/api/v1/rotations",
            json={
                "name": f"lane {i}",
                "type": "daily",
                "start": "2026-03-01T09:00:00Z",
                "time_zone": "UTC",
            },
        )
        assert made.status_code == 201, made.text
    total = _rotation_count(secured)
    browser = _signed_in(secured.api.base_url, secured.api.token)
    html = browser.get("/calendar", params={"view": "month"}).text
    first_week = html.split('class="cal-week"')[1]
    assert first_week.count('class="cal-row cal-lane"') == LANES["month"]
    assert f"{total - LANES['month']} more rotations not shown" in html
    # The next page of lanes begins after the last one drawn, and counts what is left.
    link = re.search(r'href="([^"]+)" rel="next">show the next rotations', html)
    assert link is not None
    following = browser.get(unescape(link.group(1))).text
    browser.close()
    drawn = re.findall(r'<div class="cal-label"><a href="/rotations/[^"]+">([^<]+)</a>', html)
    then = re.findall(r'<div class="cal-label"><a href="/rotations/[^"]+">([^<]+)</a>', following)
    assert then and min(then) > max(drawn)
    left = total - 2 * LANES["month"]
    assert left <= 0 or f"{left} more rotation" in following


def _rotation_count(secured: Secured) -> int:
    return int(secured.sql("SELECT count(*) FROM rotations")[0][0])


@dataclass
class Up:
    base_url: str
    token: str
    database_url: str
    log: Path  # what `handoff up` and its worker process printed


@pytest.fixture
def up(database_url: str, tmp_path: Path) -> Iterator[Up]:
    """A real `handoff up` on the session's database, its worker checked in, on the real
    clock: an earlier test may have left the engine's clock frozen (tests/conftest.py clears
    it when the next `db_url` test starts, not when a test ends)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE handoff_clock")
    env = os.environ | {
        "HANDOFF_DATABASE_URL": database_url,
        "HANDOFF_DATA_DIR": str(tmp_path),
        "HANDOFF_LOG_FORMAT": "json",
        "HANDOFF_LOG_LEVEL": "warning",
    }
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen([HANDOFF, "up", "--port", "0"], env=env, stdout=log, stderr=log)
    try:
        base_url = wait_for(tmp_path / "up.log", process, listening_url, 60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "up.log"
            ).read_text()
            time.sleep(0.2)
        token = (tmp_path / "admin-token").read_text().strip()
        yield Up(base_url, token, database_url, tmp_path / "up.log")
    finally:
        process.terminate()
        process.wait(timeout=40)
        log.close()


def _db_now(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT handoff_now()").fetchone()
    assert row is not None
    now: datetime = row[0]
    return now


async def _heavy(up: Up, cookies: httpx.Cookies, path: str, until: float) -> list[float]:
    """Ask for the heavy page again and again until `until` (monotonic); the durations."""
    took = []
    async with httpx.AsyncClient(base_url=up.base_url, cookies=cookies, timeout=120) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            response = await client.get(path)
            assert response.status_code == 200, response.text[:500]
            took.append(time.monotonic() - started)
    return took


def test_a_heavy_request_in_flight_does_not_delay_a_due_handoff(up: Up) -> None:
    admin = httpx.Client(
        base_url=up.base_url, headers={"Authorization": f"Bearer {up.token}"}, timeout=60
    )
    person = admin.post("/api/v1/users", json={"name": "Heavy Page"}).json()["id"]
    other = admin.post("/api/v1/users", json={"name": "Next Up"}).json()["id"]
    for i in range(ROTATIONS):
        made = admin.post(
            "/api/v1/rotations",
            json={
                "name": f"heavy {i}",
                "type": "daily",
                "start": "2026-03-01T09:00:00Z",
                "time_zone": "UTC",
                "participants": [person, other],
            },
        )
        assert made.status_code == 201, made.text
    # An hourly rotation whose next boundary is the next whole minute at least 20 s away.
    boundary = (_db_now(up.database_url) + timedelta(seconds=80)).replace(second=0, microsecond=0)
    due = admin.post(
        "/api/v1/rotations",
        json={
            "name": "due",
            "type": "hourly",
            "start": (boundary - timedelta(hours=1)).isoformat(),
            "time_zone": "UTC",
            "participants": [person, other],
        },
    )
    assert due.status_code == 201, due.text
    browser = _signed_in(up.base_url, up.token)
    path = f"/calendar?view=month&person={person}"
    warm = time.monotonic()
    assert browser.get(path).status_code == 200
    single = time.monotonic() - warm
    # Heavy pages from 4 s before the boundary to 3 s after it.
    offset = (boundary - _db_now(up.database_url)).total_seconds()
    time.sleep(max(offset - 4, 0))
    end = time.monotonic() + 7

    async def main() -> list[list[float]]:
        return await asyncio.gather(
            *(_heavy(up, browser.cookies, path, end) for _ in range(HEAVY_CLIENTS))
        )

    durations = [d for client in asyncio.run(main()) for d in client]
    # Not the goal (asserted below): how long to look before saying it never came.
    deadline = time.monotonic() + 60
    while True:
        with psycopg.connect(up.database_url) as conn:
            rows = conn.execute(
                "SELECT boundary_at, processed_at FROM handoffs"
                " WHERE rotation_id = %s AND boundary_at = %s",
                (due.json()["id"], boundary),
            ).fetchall()
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert rows, "the handoff was not recorded:\n" + up.log.read_text(errors="replace")[-3000:]
    ((at, processed),) = rows
    # The pages in flight across the boundary were each slower than the lag goal, so one served
    # on the engine's event loop would have delayed the handoff (alone the page may take less:
    # 0.198 s was seen in CI, 0.35-0.65 s under the three clients).
    median = sorted(durations)[len(durations) // 2]
    assert len(durations) >= HEAVY_CLIENTS and median > LAG_GOAL.total_seconds(), (
        single,
        durations,
    )
    assert processed - at <= LAG_GOAL, (processed - at, single, durations)
    admin.close()
    browser.close()
