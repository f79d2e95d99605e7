"""Every list, API and web, runs the same number of SQL statements for 3 rotations and people
as for 30 (issue 25): no route runs a statement per rotation, person or row shown. The counts
come from the serving process (`handoff.bench.statements`), over the real database."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
from psycopg import AsyncConnection

from handoff.bench import statements
from handoff.store import changes, overrides, rotations, schedules, users
from handoff.web.views import PEOPLE_ROTATIONS
from web.client import csrf

from .conftest import Api, Server

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
SIZES = (3, 30)


async def _populate(url: str, first: int, last: int, now: datetime) -> None:
    """People first..last-1 and as many rotations, each with two of them and the first
    person (who is then in more rotations than the People page shows, PEOPLE_ROTATIONS, at
    the larger size); every other one with an override ahead and every third with a pending
    change of its people; each the layer of a schedule of its own, every other one with a
    schedule override ahead."""
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        people = [await users.create(conn, f"P{n:03}", None, now=T0) for n in range(first, last)]
        everyone = [u.id for u in (await users.list_users(conn, limit=500)).items]
        for n, person in enumerate(people, start=first):
            other = everyone[(n + 1) % len(everyone)]
            config = rotations.Config(f"r{n:03}", "daily", T0, "UTC")
            members = list(dict.fromkeys([person.id, other, everyone[0]]))
            made = await rotations.create(conn, config, members, limit=10)
            soon = now + timedelta(hours=1)
            if n % 2:
                draft = overrides.Draft(soon, soon + timedelta(hours=1), other)
                await overrides.create(conn, made.id, draft, limit=10)
            if n % 3 == 0:
                fields = changes.Fields(participants=[other, person.id])
                await changes.create(conn, made.id, soon, fields, "", limit=10)
            plan = schedules.Draft(f"s{n:03}", "UTC", "priority", [made.id])
            schedule = await schedules.create(conn, plan, now=now)
            if n % 2:
                cover = schedules.OverrideDraft(soon, soon + timedelta(hours=1), other)
                await schedules.create_override(conn, schedule.id, cover, now=now)


def _counted(counts: statements.Counts, client: httpx.Client, target: str) -> int:
    response = client.get(target)
    assert response.status_code == 200, (target, response.text[:500])
    sent = response.request.url.raw_path.decode()
    deadline = time.monotonic() + 10  # the connection goes back after the response is sent
    while time.monotonic() < deadline:
        found = [n for t, n in counts.take() if t == sent]
        if found:
            return found[0]
        time.sleep(0.01)
    raise AssertionError(f"no count for {target}")


def _web(server: Server, token: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)
    form = client.get("/signin")
    signed = client.post("/signin", data={"csrf_token": csrf(form.text), "token": token})
    assert signed.status_code == 303, signed.text
    return client


def _targets(person: str, now: datetime) -> list[tuple[str, str]]:
    past = (now - timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    return [
        ("api", "/api/v1/rotations"),
        ("api", "/api/v1/users"),
        ("api", "/api/v1/oncall"),
        ("api", f"/api/v1/oncall?user_id={person}"),
        ("api", f"/api/v1/oncall?at={past}"),
        ("admin", "/api/v1/jobs"),
        ("web", "/rotations"),
        ("web", "/oncall"),
        ("web", f"/oncall?user={person}"),
        ("web", "/people"),
        ("web", f"/people/{person}"),
        ("web", "/calendar?view=week"),
        ("web", "/calendar?view=month"),
        ("web", f"/calendar?view=week&person={person}"),
        ("web", "/calendar?view=week&q=r0"),
        ("web", "/calendar?view=week&q=s0"),
        ("web", "/schedules"),
        ("api", "/api/v1/schedules"),
    ]


def test_every_list_runs_the_same_statements_for_3_and_30_rotations(
    api: Api, server: Server
) -> None:
    web = _web(server, api.reader_token)
    clients = {"api": api.reader, "admin": api.admin, "web": web}
    by_size: list[dict[str, int]] = []
    made = 0
    targets: list[tuple[str, str]] = []
    with statements.counting(server.app) as counts:
        for size in SIZES:
            asyncio.run(_populate(api.db_url, made, size, api.clock.now()))
            made = size
            if not targets:  # the same person (the first by name) at both sizes
                listed = api.reader.get("/api/v1/users", params={"limit": 1}).json()
                targets = _targets(listed["items"][0]["id"], api.clock.now())
            counts.take()
            by_size.append({t: _counted(counts, clients[kind], t) for kind, t in targets})
    small, large = by_size
    assert small == large, {t: (small[t], large[t]) for t in small if small[t] != large[t]}
    bounded = SIZES[-1] - PEOPLE_ROTATIONS  # the first person's rotations the page leaves out
    assert f"and {bounded} more</a>" in web.get("/people").text
    oncall = api.reader.get("/api/v1/oncall").json()
    assert len(oncall["items"]) == SIZES[-1]  # the page holds them all: every row was shown
