"""Imports point one way (issue 20.8): the store knows nothing of GoAlert's model or plan; the
GoAlert import (`handoff.goalert`) calls the store."""

from __future__ import annotations

import ast
from pathlib import Path

import handoff.store

STORE = Path(handoff.store.__file__).parent


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_store_module_imports_the_goalert_import() -> None:
    modules = sorted(STORE.rglob("*.py"))
    assert STORE / "goalert.py" in modules
    offending = {
        str(path.relative_to(STORE)): sorted(
            name for name in _imported(path) if name.split(".")[:2] == ["handoff", "goalert"]
        )
        for path in modules
    }
    assert {path: names for path, names in offending.items() if names} == {}
