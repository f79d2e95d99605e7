"""Scenario `stall` (issue 24): can any request delay another, or a handoff, under attack?

N rotations (daily, each person in many of them, each person's feed token made) are served by
`handoff up` as shipped: API and web in one process, the queue engine in its own. For a fixed
time that service takes, all at once:

- slow clients: bodies on form and JSON routes declared at BODY_BYTES and sent a byte every
  SLOW_BYTE_SECONDS (the server must cut them off, 408, holding no database connection), headers
  sent a byte at a time (cut off), and clients that send half a body and go away;
- heavy requests in a loop: the month calendar, a busy person's feed and page, /oncall, /people,
  reports, the API's lists;
- a canary, in a process of its own so that the attackers' parsing does not delay it, asking a
  cheap request every CANARY_INTERVAL_SECONDS and recording each latency;
- one rotation released to be due halfway through, whose handoff lag is measured as the other
  scenarios measure it (`lag`, from the instant it was made due).

Reported: the canary's latencies (issue 24's goal: no request delays another by more than a
second), the handoff's lag (engine.md: 200 ms), and every attack's outcomes (no 5xx).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import httpx
import psycopg

from handoff.bench import lag, population
from handoff.bench.profiles import Profile
from handoff.bench.reads import api_token, sign_in
from handoff.bench.service import Service
from handoff.store import feeds

CANARY_INTERVAL_SECONDS = 0.1
CANARY_TIMEOUT_SECONDS = 30.0
HEAVY_CLIENTS = 4
HEAVY_TIMEOUT_SECONDS = 120.0
SLOW_BYTE_SECONDS = 2.0
BODY_BYTES = 1000
GONE_PAUSE_SECONDS = 1.0  # between two clients that go away mid-body, per attacker
DUE_LEAD = timedelta(seconds=2)  # storm.QUEUE_LEAD: more than the dispatcher's look-ahead
DRAIN_SECONDS = 30.0  # after the attack, how long to look for the handoff before giving up
FEED_TOKENS = 5  # the people whose feeds are asked for (each in ~2N/100 rotations)
GOAL_CANARY_MS = 1000.0  # issue 24: no request delays another by more than a second
GOAL_LAG_MS = 200.0  # engine.md: p99 lag from boundary to recorded handoff in steady state

# Slow-body targets: (label, method, path, form or JSON). Paths are filled in `_attack`.
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
SLOW_BODY_ROUTES = (
    ("POST /signin", "/signin", FORM, False),
    ("POST /rotations/new", "/rotations/new", FORM, True),
    ("POST /api/v1/users", "/api/v1/users", JSON, True),
    ("POST /api/v1/rotations", "/api/v1/rotations", JSON, True),
)
ATTACKS = ("slow body", "slow headers", "slow body", "gone mid-body")  # client i: ATTACKS[i % 4]
_Tallies = defaultdict[str, Counter[str]]  # by attack or heavy route: outcome -> count


@dataclass(frozen=True, slots=True)
class Latencies:
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    failures: int  # not a 200, or no answer within CANARY_TIMEOUT_SECONDS

    @classmethod
    def of(cls, seconds: list[float], failures: int) -> Latencies:
        ordered = sorted(s * 1000 for s in seconds)
        if not ordered:
            return cls(0, 0.0, 0.0, 0.0, failures)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(len(ordered), statistics.median(ordered), p99, ordered[-1], failures)

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "max_ms": round(self.max_ms, 1),
            "failures": self.failures,
        }


@dataclass(frozen=True, slots=True)
class StallResult:
    rotations: int
    seconds: float
    slow_clients: int
    canary: dict[str, Latencies]  # by route
    lag_ms: float | None  # None: the due rotation's handoff was not recorded
    outcomes: dict[str, dict[str, int]]  # by attack or heavy route: outcome (a status) -> count
    heavy_max_ms: dict[str, float]  # by heavy route
    service_alive: bool  # `handoff up` still running after the attack

    @property
    def canary_max_ms(self) -> float:
        return max((c.max_ms for c in self.canary.values()), default=0.0)

    @property
    def canary_p99_ms(self) -> float:
        return max((c.p99_ms for c in self.canary.values()), default=0.0)

    @property
    def canary_failures(self) -> int:
        return sum(c.failures for c in self.canary.values())

    @property
    def server_errors(self) -> int:
        """Responses 500 and above, to attackers and heavy clients alike."""
        return sum(
            n for counts in self.outcomes.values() for out, n in counts.items() if out[0] == "5"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "rotations": self.rotations,
            "seconds": self.seconds,
            "slow_clients": self.slow_clients,
            "heavy_clients": HEAVY_CLIENTS,
            "canary": {route: c.as_json() for route, c in self.canary.items()},
            "handoff_lag_ms": None if self.lag_ms is None else round(self.lag_ms, 1),
            "outcomes": self.outcomes,
            "heavy_max_ms": {route: round(ms, 1) for route, ms in self.heavy_max_ms.items()},
            "server_errors": self.server_errors,
            "service_alive": self.service_alive,
        }


def steps(profile: Profile) -> int:
    return 2 if profile.stall_rotations else 0


@dataclass(frozen=True, slots=True)
class _Targets:
    """What the clients need to know: tokens, session, ids."""

    base: str
    admin: str
    cookie: str  # a signed-in web session
    rotation: str  # the canary's rotation
    person: str  # a person in many rotations
    feed_token: str

    @property
    def port(self) -> int:
        return urlsplit(self.base).port or 80


def _populate(url: str, size: int) -> population.Layout:
    """`size` daily rotations among population.USERS people, none due for ten minutes."""
    layout = population.idle_layout(population.now())
    with psycopg.connect(url, autocommit=True) as conn:
        population.populate(conn, size, layout)
    return layout


async def _feed_tokens(url: str) -> list[tuple[str, str]]:
    """(person, feed token secret) for the FEED_TOKENS people in the most rotations."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        rows = await (
            await conn.execute(
                "SELECT /* bench */ user_id FROM participants GROUP BY user_id"
                " ORDER BY count(*) DESC, user_id LIMIT %s",
                (FEED_TOKENS,),
            )
        ).fetchall()
        made = []
        for (user_id,) in rows:
            _, secret = await feeds.create(conn, user_id, now=population.now())
            made.append((str(user_id), secret))
    return made


def _targets(url: str, base: str) -> _Targets:
    admin = asyncio.run(api_token(url, "admin"))
    person, feed_token = asyncio.run(_feed_tokens(url))[0]
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT /* bench */ min(id::text) FROM rotations").fetchone()
    assert row is not None
    with httpx.Client(base_url=base, timeout=60) as web:
        sign_in(web, admin)
        cookie = "; ".join(f"{name}={value}" for name, value in web.cookies.items())
    return _Targets(base, admin, cookie, row[0], person, feed_token)


HEAVY_ROUTES = (  # labels, without the ids and tokens `_heavy_routes` puts in
    "/calendar?view=month",
    "/calendar?view=month&person=",
    "/api/v1/users/{id}/calendar.ics?token=",
    "/people/{id}",
    "/oncall",
    "/people",
    "/rotations",
    "/reports",
    "/api/v1/reports/oncall (a month)",
    "/api/v1/rotations",
    "/api/v1/users",
    "/api/v1/oncall",
)


def _heavy_routes(t: _Targets) -> dict[str, str]:
    """HEAVY_ROUTES' label -> path."""
    now = population.whole_minute(population.now())
    month = {"since": (now - timedelta(days=30)).isoformat(), "until": now.isoformat()}
    paths = (
        "/calendar?view=month",
        f"/calendar?view=month&person={t.person}",
        f"/api/v1/users/{t.person}/calendar.ics?token={t.feed_token}",
        f"/people/{t.person}",
        "/oncall",
        "/people",
        "/rotations",
        "/reports",
        f"/api/v1/reports/oncall?{urlencode(month)}",
        "/api/v1/rotations",
        "/api/v1/users",
        "/api/v1/oncall",
    )
    return dict(zip(HEAVY_ROUTES, paths, strict=True))


def _canary(t: _Targets, until: float) -> dict[str, Latencies]:
    """Every CANARY_INTERVAL_SECONDS a cheap request, the routes in turn, until `until` (a
    `time.time()`). `run` starts it in a process of its own: in a thread of this one it waited
    for the interpreter lock while the attackers parsed heavy pages, and that wait was counted as
    the server's delay."""
    routes = {"/healthz": "/healthz", "/api/v1/rotations/{id}": f"/api/v1/rotations/{t.rotation}"}
    took: dict[str, list[float]] = {label: [] for label in routes}
    failed: Counter[str] = Counter()
    headers = {"Authorization": f"Bearer {t.admin}"}
    with httpx.Client(base_url=t.base, headers=headers, timeout=CANARY_TIMEOUT_SECONDS) as client:
        while time.time() < until:
            for label, path in routes.items():
                began = time.perf_counter()
                try:
                    failed[label] += client.get(path).status_code != 200
                except httpx.HTTPError:
                    failed[label] += 1
                elapsed = time.perf_counter() - began
                took[label].append(elapsed)
                time.sleep(max(0.0, CANARY_INTERVAL_SECONDS - elapsed))
    return {label: Latencies.of(took[label], failed[label]) for label in routes}


async def _answer(reader: asyncio.StreamReader, within: float) -> str | None:
    """The status code of the server's answer if one begins within `within` seconds, "closed"
    if the server hung up, None if it is still waiting."""
    try:
        line = await asyncio.wait_for(reader.readline(), within)
    except TimeoutError:
        return None
    if not line:
        return "closed"
    parts = line.split()
    return parts[1].decode() if len(parts) > 1 else "closed"


async def _trickle(t: _Targets, head: bytes, until: float) -> str:
    """Send `head`, then a byte every SLOW_BYTE_SECONDS until the server answers or hangs up
    (its outcome), or until `until` ("still open": the attack ended first)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", t.port)
    except OSError:
        return "refused"
    try:
        writer.write(head)
        while time.monotonic() < until:
            writer.write(b"x")
            await writer.drain()
            wait = min(SLOW_BYTE_SECONDS, max(0.0, until - time.monotonic()))
            if (outcome := await _answer(reader, wait)) is not None:
                return outcome
        return "still open"
    except ConnectionError:
        return "reset"
    finally:
        writer.close()


def _slow_body_head(t: _Targets, index: int) -> tuple[str, bytes]:
    label, path, kind, signed_in = SLOW_BODY_ROUTES[index % len(SLOW_BODY_ROUTES)]
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {kind}\r\n"
    head += f"Content-Length: {BODY_BYTES}\r\n"
    if signed_in and kind == JSON:
        head += f"Authorization: Bearer {t.admin}\r\n"
    elif signed_in:
        head += f"Cookie: {t.cookie}\r\n"
    return label, (head + "\r\n").encode()


async def _slow_body(t: _Targets, index: int, until: float, tallies: _Tallies) -> None:
    label, head = _slow_body_head(t, index)
    while time.monotonic() < until:
        tallies[f"slow body {label}"][await _trickle(t, head, until)] += 1


async def _slow_headers(t: _Targets, until: float, tallies: _Tallies) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    while time.monotonic() < until:
        tallies["slow headers"][await _trickle(t, head, until)] += 1


async def _gone_mid_body(t: _Targets, until: float, tallies: _Tallies) -> None:
    """Half a body to POST /api/v1/users, then go away, again and again."""
    head = (
        "POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {t.admin}\r\nContent-Length: {BODY_BYTES}\r\n\r\n"
    ).encode()
    while time.monotonic() < until:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", t.port)
            writer.write(head + b"{" * (BODY_BYTES // 2))
            await writer.drain()
            writer.close()
            tallies["gone mid-body"]["went away"] += 1
        except OSError:
            tallies["gone mid-body"]["refused"] += 1
        await asyncio.sleep(GONE_PAUSE_SECONDS)


async def _heavy(
    t: _Targets,
    routes: dict[str, str],
    first: int,
    until: float,
    tallies: _Tallies,
    slowest: dict[str, float],
) -> None:
    """The heavy routes in turn, from the `first`, until `until`."""
    labels = list(routes)
    headers = {"Authorization": f"Bearer {t.admin}", "Cookie": t.cookie}
    async with httpx.AsyncClient(
        base_url=t.base, headers=headers, timeout=HEAVY_TIMEOUT_SECONDS
    ) as client:
        turn = first
        while time.monotonic() < until:
            label = labels[turn % len(labels)]
            turn += 1
            began = time.perf_counter()
            try:
                outcome = str((await client.get(routes[label])).status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            tallies[label][outcome] += 1
            slowest[label] = max(slowest.get(label, 0.0), (time.perf_counter() - began) * 1000)


async def _attack(t: _Targets, clients: int, seconds: float) -> tuple[_Tallies, dict[str, float]]:
    """Every attacker for `seconds`: the outcomes of each attack and heavy route, and each
    heavy route's slowest answer in ms."""
    until = time.monotonic() + seconds
    tallies: _Tallies = defaultdict(Counter)
    slowest: dict[str, float] = {}
    heavy = _heavy_routes(t)
    tasks = []
    for i in range(clients):  # half slow bodies (the routes in turn), a quarter each other way
        kind = ATTACKS[i % len(ATTACKS)]
        if kind == "slow body":
            tasks.append(_slow_body(t, i // 2, until, tallies))
        elif kind == "slow headers":
            tasks.append(_slow_headers(t, until, tallies))
        else:
            tasks.append(_gone_mid_body(t, until, tallies))
    tasks += [_heavy(t, heavy, i * 3, until, tallies, slowest) for i in range(HEAVY_CLIENTS)]
    await asyncio.gather(*tasks)
    return tallies, slowest


def run(url: str, profile: Profile, step: Callable[[str], None]) -> StallResult:
    size, clients, seconds = profile.stall_rotations, profile.stall_clients, profile.stall_seconds
    step(f"stall: {size:,} rotations, `handoff up`")
    layout = _populate(url, size)
    with Service(url, "up") as service:
        targets = _targets(url, service.base)
        step(f"stall: {clients} slow clients, {HEAVY_CLIENTS} heavy, {seconds:.0f} s")
        spawn = multiprocessing.get_context("spawn")
        with (
            psycopg.connect(url, autocommit=True) as conn,
            ProcessPoolExecutor(1, mp_context=spawn) as watcher,
        ):
            due = population.now() + max(DUE_LEAD, timedelta(seconds=seconds / 2))
            population.release(conn, 1, layout, first_due=due)
            watched = watcher.submit(_canary, targets, time.time() + seconds)
            tallies, slowest = asyncio.run(_attack(targets, clients, seconds))
            canary = watched.result()
            deadline = time.monotonic() + DRAIN_SECONDS
            while lag.recorded(conn) < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            measured = lag.measure(conn)
        alive = service.alive()
    return StallResult(
        rotations=size,
        seconds=seconds,
        slow_clients=clients,
        canary=canary,
        lag_ms=measured.max_ms if measured.recorded else None,
        outcomes={name: dict(sorted(tallies[name].items())) for name in sorted(tallies)},
        heavy_max_ms=slowest,
        service_alive=alive,
    )


def describe(result: StallResult) -> list[tuple[str, str]]:
    """Rows for the report: label, figure."""
    rows = [
        (
            f"canary {route}",
            f"{c.requests:,} requests, p50 {c.p50_ms:,.0f} ms, p99 {c.p99_ms:,.0f} ms, "
            f"max {c.max_ms:,.0f} ms, {c.failures} failed",
        )
        for route, c in result.canary.items()
    ]
    lag_ms = "not recorded" if result.lag_ms is None else f"{result.lag_ms:,.0f} ms"
    rows.append(("handoff due mid-attack, lag", lag_ms))
    for name, counts in result.outcomes.items():
        figure = ", ".join(f"{out} x{n:,}" for out, n in counts.items()) or "-"
        if name in result.heavy_max_ms:
            figure += f"; slowest {result.heavy_max_ms[name]:,.0f} ms"
        rows.append((name, figure))
    rows.append(("5xx responses", f"{result.server_errors:,}"))
    rows.append(("`handoff up` still running", "yes" if result.service_alive else "no"))
    return rows
