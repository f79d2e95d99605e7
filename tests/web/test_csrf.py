"""The CSRF token: bound to the session's secret, refused when missing or forged."""

from __future__ import annotations

from handoff.web.csrf import check_csrf, csrf_token


def test_a_session_s_own_token_passes() -> None:
    assert check_csrf("hoff_secret", csrf_token("hoff_secret"))


def test_another_session_s_token_is_refused() -> None:
    assert not check_csrf("hoff_secret", csrf_token("hoff_other"))


def test_missing_or_empty_values_are_refused() -> None:
    token = csrf_token("hoff_secret")
    assert not check_csrf("hoff_secret", None)
    assert not check_csrf("hoff_secret", "")
    assert not check_csrf(None, token)
    assert not check_csrf("", csrf_token(""))


def test_the_token_does_not_reveal_the_secret_and_is_stable() -> None:
    token = csrf_token("hoff_secret")
    assert "hoff_secret" not in token
    assert token == csrf_token("hoff_secret")
    assert len(token) == 64
