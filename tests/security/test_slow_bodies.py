"""Clients that send their bodies slowly hold no database connection (issue 24.1).

Twelve such clients on a route that took a pooled connection before reading its body emptied
the pool (10): every other request then waited 3 s for a 503. Here a real `handoff api` gets
twelve slow clients on every route that takes a body (the API's JSON and the UI's forms, signed
in), all at once, while another client is served within 100 ms; then a body that never arrives
is cut off at the deadline, and a client that goes away mid-body costs one info line.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from handoff import web
from handoff.api.app import ROUTERS
from handoff.chaos.api import ApiProcess, api_process

from .conftest import Secured

SLOW_CLIENTS = 12  # per route
WINDOW_SECONDS = 4.0  # how long the slow clients trickle (within the 10 s body deadline)
SERVED_WITHIN = 0.1
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_PARAM = re.compile(r"\{[^}]+\}")


def body_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, the API's and the UI's."""
    routes = [route for router in ROUTERS for route in router.routes]
    for included in web.ROUTERS[0].routes:
        routes.extend(included.original_router.routes)  # type: ignore[attr-defined]
    return sorted(
        (method, route.path)
        for route in routes
        if isinstance(route, APIRoute)
        for method in route.methods & {"POST", "PUT", "PATCH"}
    )


def _session_cookie(base_url: str, token: str) -> str:
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        form = browser.get("/signin")
        found = _CSRF.search(form.text)
        assert found
        signed = browser.post("/signin", data={"csrf_token": found.group(1), "token": token})
        assert signed.status_code == 303
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


async def _trickle(port: int, method: str, path: str, headers: dict[str, str]) -> None:
    """Declare a 1,000-byte body and send one byte a second of it until cancelled."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write((head + "\r\n").encode())
    try:
        while True:
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(1.0)
    finally:
        writer.close()


async def _timed(client: httpx.AsyncClient, path: str) -> float:
    started = time.perf_counter()
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


async def _slow_everywhere(secured: Secured) -> list[float]:
    port = int(secured.api.base_url.rsplit(":", 1)[1])
    cookie = _session_cookie(secured.api.base_url, secured.api.token)
    routes = body_routes()
    slow = []
    for method, template in routes:
        path = _PARAM.sub(lambda _: str(uuid.uuid4()), template)
        if template.startswith("/api/"):
            headers = {
                "Authorization": f"Bearer {secured.api.token}",
                "Content-Type": "application/json",
            }
        else:
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        slow.extend(
            asyncio.create_task(_trickle(port, method, path, headers)) for _ in range(SLOW_CLIENTS)
        )
    timings = []
    async with httpx.AsyncClient(
        base_url=secured.api.base_url,
        headers={"Authorization": f"Bearer {secured.api.token}"},
        timeout=10,
    ) as fast:
        await _timed(fast, "/api/v1/users")  # a connection of its own, kept alive
        await asyncio.sleep(1.5)  # every slow client has sent its headers and begun its body
        deadline = time.monotonic() + WINDOW_SECONDS
        while time.monotonic() < deadline:
            timings.append(await _timed(fast, "/api/v1/users"))
            timings.append(await _timed(fast, "/api/v1/rotations"))
            await asyncio.sleep(0.1)
    for task in slow:
        task.cancel()
    await asyncio.gather(*slow, return_exceptions=True)
    return timings


def test_slow_bodies_on_every_route_do_not_delay_another_client(secured: Secured) -> None:
    assert len(body_routes()) > 40  # the API's JSON routes and the UI's forms
    timings = asyncio.run(_slow_everywhere(secured))
    assert len(timings) >= 10
    # Within 100 ms, but for the odd scheduling hiccup of a loaded machine (2 cores shared by
    # several test runs): 9 in 10 within 100 ms and none near a second. Before, every request
    # in the window waited 3 s for a 503.
    ordered = sorted(timings)
    assert ordered[int(len(ordered) * 0.9)] < SERVED_WITHIN, ordered[-5:]
    assert ordered[-1] < 1.0, ordered[-5:]


@pytest.fixture(scope="module")
def impatient(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    """An API that waits one second for a body, and one for a request's headers."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDOFF_BODY_TIMEOUT_SECONDS", "1")
        patch.setenv("HANDOFF_HEADER_TIMEOUT_SECONDS", "1")
        logs = tmp_path_factory.mktemp("impatient")
        with api_process(database_url, logs, f"impatient-{uuid.uuid4().hex[:6]}") as api:
            yield api


async def _half_body(port: int, then_close: bool) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    if then_close:
        writer.close()
        await writer.wait_closed()
        return b""
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


async def _slow_headers(port: int) -> tuple[float, bytes]:
    """Send a request's headers a byte every 0.2 s; how long until the server hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
            if reader.at_eof():
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.2)
        answer = await asyncio.wait_for(reader.read(), timeout=5)
    except ConnectionError:
        answer = b""
    writer.close()
    return time.monotonic() - started, answer


def test_headers_that_do_not_arrive_in_time_end_the_connection(impatient: ApiProcess) -> None:
    took, answer = asyncio.run(_slow_headers(int(impatient.base_url.rsplit(":", 1)[1])))
    assert answer == b""
    assert took < 3  # the header deadline is 1 s; the whole trickle would take 25 s
    assert httpx.get(f"{impatient.base_url}/healthz").status_code == 200  # kept alive: fine


def _log_lines(log: Path) -> list[dict[str, object]]:
    lines = []
    for line in log.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append({"raw": line})
    return lines


def test_a_body_that_does_not_arrive_in_time_is_a_408(impatient: ApiProcess) -> None:
    port = int(impatient.base_url.rsplit(":", 1)[1])
    started = time.monotonic()
    answer = asyncio.run(_half_body(port, then_close=False))
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"the request body did not arrive in time" in answer
    assert time.monotonic() - started < 5


def _gone_lines(api: ApiProcess) -> list[dict[str, object]]:
    lines = _log_lines(api.log)
    return [line for line in lines if "went away" in str(line.get("event", ""))]


def test_a_client_gone_mid_body_is_one_info_line(impatient: ApiProcess) -> None:
    asyncio.run(_half_body(int(impatient.base_url.rsplit(":", 1)[1]), then_close=True))
    deadline = time.monotonic() + 10
    while not (gone := _gone_lines(impatient)):  # the server logs it once it notices
        assert time.monotonic() < deadline, "no line says the client went away"
        time.sleep(0.05)
    assert len(gone) == 1
    assert gone[0]["level"] == "info"
    lines = _log_lines(impatient.log)
    assert not [line for line in lines if "Traceback" in json.dumps(line)]
    assert not [line for line in lines if line.get("level") in ("error", "critical")]
