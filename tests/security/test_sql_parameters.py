"""SQL only through parameters: every statement the code runs is fixed text.

Each `execute`, `executemany` and `copy` call in the package must get a string literal, a
named statement (`Q["name"]`) or a module constant, so no value can ever be spliced into a
statement. The only exceptions are statements whose *identifier* (a database name the code
generated itself) cannot be a parameter; each is listed here with its reason, and a new one
fails this test until it is reviewed and listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import handoff

PACKAGE = Path(handoff.__file__).parent
SQL_CALLS = {"execute", "executemany", "copy"}
# (file relative to the package, the statement's first words): identifiers, not values.
REVIEWED = {
    ("embedded_pg.py", 'CREATE DATABASE "'),  # the fixed name DATABASE
    ("bench/server.py", 'CREATE DATABASE "'),  # handoff_bench_<random hex>
    ("bench/server.py", 'DROP DATABASE IF EXISTS "'),
    ("chaos/server.py", 'CREATE DATABASE "'),  # handoff_chaos_<random hex>
    ("chaos/server.py", 'DROP DATABASE IF EXISTS "'),
    ("store/migrate.py", "sql"),  # execute_script: the package's own migration files
    # Procrastinate's own schema and migration files, of the pinned release
    ("store/queue_schema.py", "SchemaManager.get_schema()"),
    ("store/queue_schema.py", "body"),
    # the chaos run's own database (handoff_chaos_<random hex>) and a module constant
    ("chaos/faults/hosts.py", 'ALTER DATABASE "'),
    # pass-throughs of their callers' statements, which this check reads where they are written:
    ("chaos/faults/hosts.py", "sql"),  # _scalar(url, "SELECT ...", params)
    ("store/audit.py", "query"),  # the audited cursor, naming the writer first
    ("bench/statements.py", "query"),  # the bench's counting cursor
    ("store/notify.py", "insert"),  # subscriptions and reminders (notify.link)
    ("store/overrides.py", "overlapping"),  # rotation and schedule overrides (check_overlap)
}


def _fixed(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.IfExp):
        return _fixed(node.body) and _fixed(node.orelse)
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id.isupper()
    ):
        return True  # Q["name"], Q[name]: a named statement from the .sql files (fixed text)
    return isinstance(node, ast.Name) and node.id.lstrip("_").isupper()  # a module constant


def _prefix(node: ast.expr) -> str:
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant):
            return str(first.value)
    return ast.unparse(node)[:40]


def spliced_statements() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS
                and node.args
                and not _fixed(node.args[0])
            ):
                found.add((path.relative_to(PACKAGE).as_posix(), _prefix(node.args[0])))
    return found


def test_every_statement_is_fixed_text() -> None:
    assert spliced_statements() <= REVIEWED


def test_the_check_sees_a_spliced_value(tmp_path: Path) -> None:
    """The detector itself: an f-string with a value in it is found."""
    source = "conn.execute(f\"SELECT * FROM users WHERE name = '{name}'\")"
    call = ast.parse(source).body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert not _fixed(call.value.args[0])
    assert _prefix(call.value.args[0]) == "SELECT * FROM users WHERE name = '"
