""".ci/run's second phase runs `-m "db and not e2e"` against the machine's PostgreSQL: every test
that reaches the test server must carry `db` (tests/conftest.py adds it from the fixture
closure), and a test that never touches a database must not, or the phase would skip it or
run it for nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLUGINS = ("no:cacheprovider",)
ROOT = Path(__file__).resolve().parents[2]
SOME = [
    # Marked db: through the API server's database, through db_url.
    "tests/api/test_users.py::test_create_and_get",
    "tests/engine/test_queue.py::test_only_one_dispatcher_works_at_a_time",
    # Not marked: pure.
    "tests/core/test_hours.py::test_windows_parse_and_print_back",
    "tests/cli/test_main.py::test_help_imports_no_web_framework_and_no_database_driver",
]


def test_tests_that_reach_the_server_are_marked_db_and_no_others() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", *PLUGINS, "-m", "db", *SOME],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    selected = {line for line in listed.stdout.splitlines() if "::" in line}
    assert selected == set(SOME[:2])
    assert "2/4 tests collected (2 deselected)" in listed.stdout  # the other two exist
