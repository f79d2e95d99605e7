"""Imports point one way (layout.md): the pure core imports no shell, the store imports
only the core (issue 20 item 8: the store did DNS lookups through `notify`), and the engine
imports nothing of notify (notify uses the engine's shared loops and metrics, not back; the
process running both is composed above them, in `handoff.worker`). The store's
GoAlert module is the import's and is left out here (another piece of work moves it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import handoff.engine
import handoff.store

SHELLS = ("handoff.notify", "handoff.engine", "handoff.api", "handoff.web", "handoff.cli")
STORE = Path(handoff.store.__file__).parent
ENGINE = Path(handoff.engine.__file__).parent


def _loaded(modules: list[str]) -> set[str]:
    """The handoff modules importing `modules` loads, in a fresh interpreter."""
    code = (
        f"import sys, {', '.join(modules)}\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('handoff')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


def _above(loaded: set[str], layers: tuple[str, ...]) -> set[str]:
    return {m for m in loaded for layer in layers if m == layer or m.startswith(layer + ".")}


def test_the_store_imports_no_shell() -> None:
    modules = [
        f"handoff.store.{p.stem}"
        for p in sorted(STORE.glob("*.py"))
        if p.stem not in ("__init__", "goalert")
    ]
    assert _above(_loaded(modules), (*SHELLS, "handoff.goalert")) == set()


def test_the_projection_is_pure() -> None:
    loaded = _loaded(["handoff.oncall"])
    assert _above(loaded, (*SHELLS, "handoff.store")) == set()


def test_the_engine_imports_nothing_of_notify() -> None:
    modules = [f"handoff.engine.{p.stem}" for p in sorted(ENGINE.glob("*.py"))]
    assert len(modules) > 5
    assert _above(_loaded(modules), ("handoff.notify",)) == set()
