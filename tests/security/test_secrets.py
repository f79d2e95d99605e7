"""No token, password or database URL in any response or log line; the calendar's query
token reads one feed and nothing else; bodies are capped; tokens are stored only as hashes.

Everything is asked of a real `handoff api` process whose database URL carries a password
(conftest), and its whole log is read afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from handoff.api.limits import MAX_BODY_BYTES

from .conftest import Secured

WRONG_TOKEN = "hoff_wrong-token-that-must-not-be-echoed"


@pytest.fixture
def rotation_id(secured: Secured, unique: Callable[[str], str]) -> str:
    with secured.admin as admin:
        user = admin.post("/api/v1/users", json={"name": unique("Cal")}).json()["id"]
        created = admin.post(
            "/api/v1/rotations",
            json={
                "name": unique("calendar"),
                "type": "daily",
                "start": "2026-03-01T09:00:00Z",
                "time_zone": "UTC",
                "participants": [user],
            },
        )
    assert created.status_code == 201, created.text
    rotation: str = created.json()["id"]
    return rotation


def _assert_nothing_secret(secured: Secured, text: str) -> None:
    for secret in [*secured.secrets(), WRONG_TOKEN]:
        assert secret not in text


@pytest.fixture
def responses(secured: Secured) -> Iterator[list[httpx.Response]]:
    """Responses a test collects; each is checked for secrets after the test."""
    collected: list[httpx.Response] = []
    yield collected
    for response in collected:
        _assert_nothing_secret(secured, response.text)
        _assert_nothing_secret(secured, str(response.headers))
        assert response.status_code < 500, response.text


def test_errors_echo_no_secret(
    secured: Secured, rotation_id: str, responses: list[httpx.Response]
) -> None:
    with secured.client(WRONG_TOKEN) as wrong, secured.admin as admin:
        responses += [
            wrong.get("/api/v1/users"),
            wrong.get(f"/api/v1/rotations/{rotation_id}/calendar.ics?token={WRONG_TOKEN}"),
            admin.get(f"/api/v1/rotations/{WRONG_TOKEN}"),
            admin.get(f"/api/v1/users?cursor={WRONG_TOKEN}"),
            admin.post("/api/v1/users", json={"name": "", "email": WRONG_TOKEN}),
            admin.get(f"/api/v1/rotations/{rotation_id}/calendar.ics?token={secured.api.token}"),
            admin.get("/readyz"),
        ]
    assert [r.status_code for r in responses[:2]] == [401, 401]


def test_logs_hold_no_secret(secured: Secured, rotation_id: str) -> None:
    """Runs after requests with every kind of token and error; the whole log is read."""
    with secured.client(WRONG_TOKEN) as wrong, secured.admin as admin:
        wrong.get("/api/v1/rotations")
        admin.get(f"/api/v1/rotations/{rotation_id}/calendar.ics")
        admin.get(f"/api/v1/rotations/{rotation_id}/calendar.ics?token={secured.reader_token}")
        admin.post("/api/v1/rotations", content=b"{not json")
    log = secured.log.read_text(errors="replace")
    assert log, "the API wrote no log at all: nothing was checked"
    _assert_nothing_secret(secured, log)
    assert "Traceback" not in log


def test_calendar_query_token_reads_the_feed_and_nothing_else(
    secured: Secured, rotation_id: str
) -> None:
    token = secured.reader_token
    with secured.client(None) as anonymous:
        feed = anonymous.get(f"/api/v1/rotations/{rotation_id}/calendar.ics?token={token}")
        assert feed.status_code == 200
        assert feed.text.startswith("BEGIN:VCALENDAR")
        before = secured.counts()
        refused = [
            anonymous.get(f"/api/v1/rotations/{rotation_id}?token={token}"),
            anonymous.get(f"/api/v1/users?token={token}"),
            anonymous.patch(f"/api/v1/rotations/{rotation_id}?token={token}", json={"name": "x"}),
            anonymous.delete(f"/api/v1/rotations/{rotation_id}?token={token}"),
            anonymous.post(f"/api/v1/users?token={token}", json={"name": "query writer"}),
        ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert secured.counts() == before


def test_an_admin_token_is_refused_in_a_feed_url(secured: Secured, rotation_id: str) -> None:
    """A URL ends up in logs: only reader and feed tokens may be put in one (24.6)."""
    admin_token = secured.api.token
    person = secured.admin.post("/api/v1/users", json={"name": "feed url admin"}).json()["id"]
    with secured.client(None) as anonymous:
        for feed in (
            f"/api/v1/rotations/{rotation_id}/calendar.ics",
            f"/api/v1/users/{person}/calendar.ics",
        ):
            refused = anonymous.get(feed, params={"token": admin_token})
            assert refused.status_code == 401
            assert refused.json()["detail"] == (
                "an admin token is not accepted in the URL; use a reader token or a feed token"
            )
            assert anonymous.get(feed, params={"token": secured.reader_token}).status_code == 200
            assert secured.admin.get(feed).status_code == 200  # in the header it is fine


def test_reader_token_in_the_query_cannot_write(secured: Secured, rotation_id: str) -> None:
    before = secured.counts()
    with secured.client(secured.reader_token) as reader:
        assert reader.delete(f"/api/v1/rotations/{rotation_id}").status_code == 403
        assert reader.post("/api/v1/users", json={"name": "reader writes"}).status_code == 403
    assert secured.counts() == before


@pytest.mark.parametrize("chunked", [False, True])
def test_request_bodies_are_capped(secured: Secured, chunked: bool) -> None:
    body = b'{"name": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    before = secured.counts()
    content: bytes | Iterator[bytes] = body
    if chunked:  # no Content-Length: the cap must hold while the body streams in
        content = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    with secured.admin as admin:
        response = admin.post(
            "/api/v1/users", content=content, headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert secured.counts() == before


def test_tokens_are_stored_only_as_hashes(secured: Secured) -> None:
    """Lookup is by SHA-256 digest through a unique index: no stored secret is ever compared
    with what a client sent, so timing can reveal nothing about a token."""
    rows = secured.sql("SELECT token_hash, name, role FROM api_tokens")
    hashes = {bytes(r[0]) for r in rows}
    for token in (secured.api.token, secured.reader_token):
        assert hashlib.sha256(token.encode()).digest() in hashes
        assert all(token not in repr(r) for r in rows)
