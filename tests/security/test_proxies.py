"""Which proxies are believed (issue 24.6): by default none, so a client cannot choose the
address the sign-in limit counts nor claim https; behind a proxy named in
HANDOFF_TRUSTED_PROXIES its X-Forwarded-For and X-Forwarded-Proto count, and https brings the
Secure cookie flag and HSTS (HANDOFF_HSTS_MAX_AGE_SECONDS)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from handoff.chaos.api import ApiProcess, api_process
from handoff.web.limit import ADDRESS_MAX_FAILURES

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def _api(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, **env: str
) -> Iterator[ApiProcess]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        logs = tmp_path_factory.mktemp("proxies")
        with api_process(database_url, logs, f"proxies-{uuid.uuid4().hex[:6]}") as api:
            yield api


@pytest.fixture(scope="module")
def untrusting(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _api(database_url, tmp_path_factory) as api:
        yield api.base_url


@pytest.fixture(scope="module")
def proxied(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"HANDOFF_TRUSTED_PROXIES": "127.0.0.1,::1", "HANDOFF_HSTS_MAX_AGE_SECONDS": "600"}
    with _api(database_url, tmp_path_factory, **env) as api:
        yield api.base_url


def _forget_failures(database_url: str, client: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM web_sign_in_failures WHERE client = %s", (client,))


def _fail_before(database_url: str, client: str, count: int) -> None:
    """`count` failed sign-ins from `client` just now (the guesses before the test's own)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO web_sign_in_failures (client, failed_at)"
            " SELECT %s, now() FROM generate_series(1, %s)",
            (client, count),
        )


def _fail_sign_in(browser: httpx.Client, forwarded_for: str) -> int:
    headers = {"X-Forwarded-For": forwarded_for}
    form = browser.get("/signin", headers=headers)
    found = _CSRF.search(form.text)
    assert found
    answer = browser.post(
        "/signin", data={"csrf_token": found.group(1), "token": "hoff_wrong"}, headers=headers
    )
    return answer.status_code


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    untrusting: str, database_url: str
) -> None:
    https = httpx.get(f"{untrusting}/signin", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in https.headers["set-cookie"].lower()
    assert "strict-transport-security" not in https.headers
    _forget_failures(database_url, "127.0.0.1")
    try:
        with httpx.Client(base_url=untrusting) as browser:
            # A new X-Forwarded-For each time: all counted against 127.0.0.1 all the same
            # (the address's limit, the browser's being lower; a new browser each time).
            _fail_before(database_url, "127.0.0.1", ADDRESS_MAX_FAILURES - 2)
            for i in (1, 2):
                with httpx.Client(base_url=untrusting) as guess:
                    assert _fail_sign_in(guess, f"198.51.100.{i}") == 401
            assert _fail_sign_in(browser, "198.51.100.200") == 429
    finally:
        _forget_failures(database_url, "127.0.0.1")


def test_a_trusted_proxy_names_the_client_and_the_scheme(proxied: str, database_url: str) -> None:
    https = httpx.get(f"{proxied}/signin", headers={"X-Forwarded-Proto": "https"})
    cookie = https.headers["set-cookie"].lower()
    assert "handoff_presession=" in cookie and "secure" in cookie
    assert https.headers["strict-transport-security"] == "max-age=600"
    plain = httpx.get(f"{proxied}/signin")
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    guesser, bystander = "203.0.113.7", "203.0.113.8"
    try:
        with httpx.Client(base_url=proxied) as browser:
            _fail_before(database_url, guesser, ADDRESS_MAX_FAILURES - 1)
            assert _fail_sign_in(browser, guesser) == 401
            with httpx.Client(base_url=proxied) as again:  # a new browser, the same address
                assert _fail_sign_in(again, guesser) == 429
            with httpx.Client(base_url=proxied) as other:  # not locked out by the guesser
                assert _fail_sign_in(other, bystander) == 401
    finally:
        for client in (guesser, bystander):
            _forget_failures(database_url, client)
