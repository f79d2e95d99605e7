"""Scenario 6 (bench.md, round three): the pages people read, at R rotations.

R rotations (daily, three participants each) among 1,000 people, an override in force on one
rotation in ten, written set-based. Then:

(c) the SQL statements each list request runs, at 1,000 rotations and at R, counted in an
    app served from this process (`bench.statements`);
(a) `GET /api/v1/rotations/{id}` against one `handoff api` process as shipped, 20 clients in a
    closed loop, beside the minimal endpoint of the same stack, `GET /api/v1/users/{id}` (the
    same uvicorn, FastAPI, pool and token check, one primary-key row), in the same run, the
    two loops taking three turns each in alternation;
(b) the first page of every list, API and web (`/rotations`, where `/` redirects): time to
    the whole response on 127.0.0.1 (the median of a few, after one to warm up) and its bytes.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from handoff.bench import population, statements
from handoff.bench.profiles import Profile
from handoff.bench.server_thread import serving
from handoff.bench.service import Service
from handoff.config import Settings
from handoff.http.app import create_app
from handoff.store import tokens

SMALL = 1_000  # the size statements are compared against (half of R when R is smaller)
PEOPLE = 1_000
PARTICIPANTS = 3
CLIENTS = 20
SLICES = 3  # turns each closed loop takes, alternating with the other's
FIRST_PAGE_TRIES = 3
API_ROUTES = ("/api/v1/rotations", "/api/v1/oncall", "/api/v1/users")
WEB_ROUTES = ("/rotations", "/oncall", "/people", "/calendar?view=week", "/calendar?view=month")

_POPULATE = """INSERT /* bench */ INTO users (id, name)
SELECT md5('bench-user:' || u)::uuid, 'bench user ' || u
FROM generate_series(0, %(people)s - 1) u ON CONFLICT DO NOTHING;

INSERT /* bench */ INTO rotations (id, name, type, shift_length, start_at, time_zone,
                                   grid_changed_at)
SELECT md5('bench:' || g)::uuid, 'bench ' || lpad(g::text, 7, '0'), 'daily', 1,
       %(start)s::timestamptz + (g %% 1440) * interval '1 minute', 'UTC',
       %(start)s::timestamptz
FROM generate_series(%(first)s, %(last)s) g;

ALTER /* bench */ TABLE participants DISABLE TRIGGER USER;
INSERT /* bench */ INTO participants (id, rotation_id, user_id, position)
SELECT md5('bench-participant:' || g || ':' || p)::uuid, md5('bench:' || g)::uuid,
       md5('bench-user:' || ((g * 7 + p) %% %(people)s))::uuid, p
FROM generate_series(%(first)s, %(last)s) g, generate_series(0, %(participants)s - 1) p;
ALTER /* bench */ TABLE participants ENABLE TRIGGER USER;

INSERT /* bench */ INTO rotation_state (rotation_id, position, participant_id, shift_start)
SELECT md5('bench:' || g)::uuid, 0, md5('bench-participant:' || g || ':0')::uuid,
       %(shift_start)s::timestamptz
FROM generate_series(%(first)s, %(last)s) g;

ALTER /* bench */ TABLE overrides DISABLE TRIGGER USER;
INSERT /* bench */ INTO overrides (rotation_id, start_at, end_at, user_id)
SELECT md5('bench:' || g)::uuid, %(override_start)s::timestamptz,
       %(override_end)s::timestamptz, md5('bench-user:' || ((g * 7 + 1) %% %(people)s))::uuid
FROM generate_series(%(first)s, %(last)s) g WHERE g %% 10 = 0;
ALTER /* bench */ TABLE overrides ENABLE TRIGGER USER;

ANALYZE /* bench */;
"""


@dataclass(frozen=True, slots=True)
class Load:
    """A closed loop of CLIENTS clients on one route."""

    route: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "route": self.route,
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "errors": self.errors,
        }


@dataclass(frozen=True, slots=True)
class FirstPage:
    route: str
    ms: float
    bytes: int


@dataclass(frozen=True, slots=True)
class ReadsResult:
    rotations: int
    rotation: Load
    minimal: Load
    first_pages: list[FirstPage]
    statements: dict[int, dict[str, int]]  # by size, by route

    @property
    def throughput_ratio(self) -> float | None:
        return self.rotation.per_second / self.minimal.per_second if self.minimal.requests else None

    @property
    def p99_ratio(self) -> float | None:
        return self.rotation.p99_ms / self.minimal.p99_ms if self.minimal.p99_ms else None

    def as_json(self) -> dict[str, object]:
        return {
            "rotations": self.rotations,
            "rotation": self.rotation.as_json(),
            "minimal": self.minimal.as_json(),
            "first_pages": [
                {"route": p.route, "ms": round(p.ms, 1), "bytes": p.bytes} for p in self.first_pages
            ],
            "statements_per_request": {str(k): v for k, v in self.statements.items()},
        }


def steps(profile: Profile) -> int:
    return 4 if profile.reads_size else 0


def _populate(url: str, first: int, last: int) -> None:
    now = population.whole_minute(datetime.now(UTC))
    day = population.MINUTES_PER_DAY
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        psycopg.ClientCursor(conn).execute(
            _POPULATE,
            {
                "people": PEOPLE,
                "participants": PARTICIPANTS,
                "first": first,
                "last": last,
                "start": now - 2 * timedelta(days=1),
                "shift_start": now - timedelta(minutes=day // 2),
                "override_start": now - timedelta(hours=1),
                "override_end": now + timedelta(hours=2),
            },
        )


async def api_token(url: str, role: str = "reader") -> str:
    """A new API token of `role` (the bench's own, named after the role)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        _, secret = await tokens.create(conn, f"bench-{role}", role, now=datetime.now(UTC))
    return secret


def sign_in(client: httpx.Client, token: str) -> None:
    form = client.get("/signin").text
    marker = 'name="csrf_token" value="'
    csrf = form[form.index(marker) + len(marker) :].split('"', 1)[0]
    signed = client.post("/signin", data={"csrf_token": csrf, "token": token})
    if signed.status_code != 303:
        raise RuntimeError(f"the bench could not sign in to the web UI: {signed.status_code}")


def _count_statements(url: str, token: str) -> dict[str, int]:
    """Statements of each list's first page, counted by an app served from this process."""
    app = create_app(Settings(database_url=url), url)
    with serving(app) as base, statements.counting(app) as counts:
        found: dict[str, int] = {}
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300)
        web = httpx.Client(base_url=base, timeout=300)
        sign_in(web, token)
        for route, client in [(r, api) for r in API_ROUTES] + [(r, web) for r in WEB_ROUTES]:
            counts.take()
            sent = client.get(route).request.url.raw_path.decode()
            deadline = time.monotonic() + 10
            while route not in found and time.monotonic() < deadline:
                mine = [n for t, n in counts.take() if t == sent]
                if mine:
                    found[route] = mine[0]
                time.sleep(0.01)
        return found


@dataclass
class _Loop:
    """What a route's closed loops measured so far (its slices add up)."""

    route: str
    latencies: list[float]
    errors: int = 0
    seconds: float = 0.0

    def load(self) -> Load:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
        p50 = statistics.median(ordered) if ordered else 0.0
        return Load(self.route, len(ordered), self.seconds, p50, p99, self.errors)


async def _slice(
    client: httpx.AsyncClient, loop: _Loop, targets: list[str], seconds: float
) -> None:
    """CLIENTS clients, each asking for a random target as soon as its last answer came."""
    stop = time.monotonic() + seconds

    async def one() -> None:
        while time.monotonic() < stop:
            began = time.perf_counter()
            response = await client.get(random.choice(targets))
            loop.latencies.append((time.perf_counter() - began) * 1000)
            loop.errors += response.status_code != 200

    began = time.monotonic()
    await asyncio.gather(*(one() for _ in range(CLIENTS)))
    loop.seconds += time.monotonic() - began


async def _compare(
    base: str, token: str, routes: dict[str, list[str]], seconds: float
) -> list[Load]:
    """Each route's closed loop for `seconds` in all, in SLICES turns taken in alternation, so
    a change in the shared machine's load falls on both alike."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    loops = {route: _Loop(route, []) for route in routes}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        for targets in routes.values():  # warm up: every connection open, each route once
            await asyncio.gather(*(c.get(t) for t in targets[:CLIENTS]))
        for _ in range(SLICES):
            for route, targets in routes.items():
                await _slice(c, loops[route], targets, seconds / SLICES)
    return [loop.load() for loop in loops.values()]


def _first_pages(base: str, token: str) -> list[FirstPage]:
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600)
    web = httpx.Client(base_url=base, timeout=600)
    sign_in(web, token)
    found: list[FirstPage] = []
    for route, client in [(r, api) for r in API_ROUTES] + [(r, web) for r in WEB_ROUTES]:
        client.get(route)  # warm up
        times: list[float] = []
        size = 0
        for _ in range(FIRST_PAGE_TRIES):
            began = time.perf_counter()
            response = client.get(route)
            times.append((time.perf_counter() - began) * 1000)
            size = len(response.content)
            if response.status_code != 200:
                raise RuntimeError(f"{route} answered {response.status_code}")
        found.append(FirstPage(route, statistics.median(times), size))
    return found


_SAMPLES = {
    "rotations": "SELECT /* bench */ id FROM rotations ORDER BY random() LIMIT %s",
    "users": "SELECT /* bench */ id FROM users ORDER BY random() LIMIT %s",
}


def _ids(url: str, table: str, count: int) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(_SAMPLES[table], (count,)).fetchall()
    return [str(r[0]) for r in rows]


def run(url: str, profile: Profile, step: Callable[[str], None]) -> ReadsResult:
    size = profile.reads_size
    small = min(SMALL, size // 2)  # a profile for the tests may be smaller than SMALL
    token = asyncio.run(api_token(url))
    step(f"reads: {small:,} rotations, statements per request")
    _populate(url, 1, small)
    counted = {small: _count_statements(url, token)}
    step(f"reads: {size:,} rotations, statements per request")
    _populate(url, small + 1, size)
    counted[size] = _count_statements(url, token)
    with Service(url) as api:
        step(f"reads: GET a rotation vs the minimal endpoint, {CLIENTS} clients")
        rotation_ids = [f"/api/v1/rotations/{i}" for i in _ids(url, "rotations", 1000)]
        user_ids = [f"/api/v1/users/{i}" for i in _ids(url, "users", 1000)]
        routes = {"/api/v1/rotations/{id}": rotation_ids, "/api/v1/users/{id}": user_ids}
        rotation, minimal = asyncio.run(_compare(api.base, token, routes, profile.reads_seconds))
        step(f"reads: first pages at {size:,} rotations")
        pages = _first_pages(api.base, token)
    return ReadsResult(size, rotation, minimal, pages, counted)


def describe(result: ReadsResult) -> list[tuple[str, str]]:
    """Rows for the report: label, figure."""
    rows = [
        (
            "GET rotation / minimal endpoint",
            f"{result.rotation.per_second:,.0f}/s p99 {result.rotation.p99_ms:,.0f} ms vs "
            f"{result.minimal.per_second:,.0f}/s p99 {result.minimal.p99_ms:,.0f} ms",
        )
    ]
    rows += [
        (f"first page {p.route}", f"{p.ms:,.1f} ms, {p.bytes:,} B") for p in result.first_pages
    ]
    small, large = min(result.statements), max(result.statements)
    rows += [
        (
            f"statements {route}",
            f"{n} at {small:,}, {result.statements[large].get(route)} at {large:,}",
        )
        for route, n in result.statements[small].items()
        for later in [result.statements[large].get(route)]
    ]
    return rows
