"""`handoff up` shows a new admin token only on a terminal; elsewhere only where it is kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from handoff.cli.up import _announce

SECRET = "hoff_example-secret"
PATH = Path("/data/admin-token")


def test_on_a_terminal_the_token_is_shown_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _announce(SECRET, PATH)
    out = capsys.readouterr().out
    assert f"admin token (shown once, kept in {PATH}):" in out
    assert SECRET in out.splitlines()


def test_piped_or_logged_output_never_gets_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    _announce(SECRET, PATH)
    out = capsys.readouterr().out
    assert SECRET not in out
    assert f"admin token written to {PATH} (mode 0600)" in out
