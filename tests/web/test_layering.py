"""Imports point one way: `api` and `web` each use `handoff.http.deps`, neither imports the
other; only the app factory (`handoff.http.app`) imports both, to mount them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded(module: str) -> set[str]:
    """The handoff modules importing `module` loads, in a fresh interpreter."""
    code = (
        f"import sys, {module}\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('handoff')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "other"), [("handoff.web", "handoff.api"), ("handoff.api.app", "handoff.web")]
)
def test_api_and_web_do_not_import_each_other(module: str, other: str) -> None:
    loaded = _loaded(module)
    assert "handoff.http.deps" in loaded
    assert not {m for m in loaded if m == other or m.startswith(other + ".")}


def test_the_app_factory_mounts_both() -> None:
    loaded = _loaded("handoff.http.app")
    assert {"handoff.api.app", "handoff.web"} <= loaded
