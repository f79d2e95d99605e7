"""The `handoff` command itself: a light start, one-line usage errors, output safe to pipe and
to show on a terminal, and time options read like the grid reads them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handoff.cli.main import COMMANDS, app, load

from .conftest import Cli

WEB_AND_DATABASE = (
    "fastapi",
    "starlette",
    "uvicorn",
    "alembic",
    "sqlalchemy",
    "matplotlib",
    "psycopg",
    "pydantic",
    "httpx",
    "jinja2",
)
# What a terminal would act on: C0 controls but the line feed, DEL and C1 controls.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_help_imports_no_web_framework_and_no_database_driver() -> None:
    code = (
        "import contextlib, io, sys\n"
        "from handoff.cli.main import main\n"
        "sys.argv = ['handoff', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print(' '.join(sys.modules))\n"
    )
    loaded = _python(code).stdout.split()
    assert "handoff.cli.main" in loaded
    heavy = sorted({m.split(".")[0] for m in loaded} & set(WEB_AND_DATABASE))
    assert heavy == [], f"handoff --help imported {heavy}"
    commands = [m for m in loaded if m.startswith("handoff.cli.") and m != "handoff.cli.main"]
    assert commands == ["handoff.cli.terminal"], "a command module was imported for --help"


def _modules_after_help(setup: str) -> set[str]:
    """The modules a fresh interpreter holds after `setup` defines `main` and runs --help."""
    code = (
        f"{setup}\n"
        "import contextlib, io, sys\n"
        "sys.argv = ['handoff', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print(' '.join(sys.modules))\n"
    )
    return set(_python(code).stdout.split())


def test_help_loads_what_a_bare_typer_app_loads_and_its_own_few_modules() -> None:
    """--help starts as fast as typer's own: it imports what the --help of a two-command typer
    app imports (typer, rich and their help rendering), and only handoff's command table and
    terminal setup besides. Counted, not timed: a start-up time measured on a shared machine
    says as much about the other processes as about this one (issue 26, item 7)."""
    bare = _modules_after_help(
        "import typer\n"
        "main = typer.Typer()\n"
        "main.command('a')(lambda: None)\n"
        "main.command('b')(lambda: None)"
    )
    own = _modules_after_help("from handoff.cli.main import main")
    assert own - bare == {"handoff", "handoff.cli", "handoff.cli.main", "handoff.cli.terminal"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_its_listed_help_is_its_own(name: str) -> None:
    command = load(name)
    assert command.name == name
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].help == own


@pytest.mark.parametrize(
    "args",
    [
        ["rotation", "create", "x", "--bogus"],
        ["nosuch"],
        ["rotation", "create"],
        ["user", "nosuch"],
        [
            "preview",
            "--type",
            "daily",
            "--start",
            "2026-01-01T00:00Z",
            "--zone",
            "UTC",
            "--count",
            "x",
        ],
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "--help" in lines[0]


def test_the_console_script_prints_one_line_for_a_usage_error() -> None:
    script = Path(sys.executable).parent / "handoff"
    result = subprocess.run([str(script), "user", "create"], capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Missing argument"), result.stderr


def _refused_without_database(url: str, tmp_path: Path) -> str:
    env = dict(os.environ) | {"HANDOFF_DATABASE_URL": url, "HANDOFF_DATA_DIR": str(tmp_path)}
    script = Path(sys.executable).parent / "handoff"
    result = subprocess.run(
        [str(script), "user", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    line = _refused_without_database("postgresql://someone:s3cret-pw@127.0.0.1:1/handoff", tmp_path)
    assert line.startswith("error: cannot use the database (postgresql://someone@127.0.0.1:1/")
    assert "s3cret-pw" not in line


def test_a_malformed_database_url_is_one_line(tmp_path: Path) -> None:
    line = _refused_without_database("postgresql://someone:s3cret@w@localhost:port/x", tmp_path)
    assert line.startswith("error: HANDOFF_DATABASE_URL is not a database URL")
    assert "s3cret" not in line and "@w@" not in line


def test_a_database_that_does_not_exist_is_one_line(server_url: str, tmp_path: Path) -> None:
    missing = f"handoff_missing_{uuid.uuid4().hex[:8]}"
    url = re.sub(r"/[^/?]*(\?|$)", f"/{missing}\\1", server_url.split("://", 1)[1], count=1)
    line = _refused_without_database(f"postgresql://{url}", tmp_path)
    assert "cannot use the database" in line and missing in line


def test_tables_show_short_ids_and_piped_wide_tables_keep_whole_ones(cli: Cli) -> None:
    cli.env["COLUMNS"] = "40"  # a narrow terminal would cut the ids; a pipe must not
    created = [cli.json("user", "create", f"Someone With A Long Name {i}") for i in range(2)]
    short = cli.ok("user", "list").stdout
    listed = cli.ok("--wide", "user", "list").stdout
    for user in created:
        assert user["id"][:8] in short and user["id"] not in short
        assert user["id"] in listed
    assert "…" not in listed


def test_names_written_by_sql_never_reach_the_terminal_raw(cli: Cli) -> None:
    cli.ok("user", "create", "Plain")
    cli.ok("rotation", "create", "r", "--type", "daily", "--start", "2026-03-02T09:00Z",
           "--zone", "UTC", "--participant", "Plain")  # fmt: skip
    cli.sql("UPDATE users SET name = %s", "Evil\x1b[31m\x07\x9b[/]\x7f")
    cli.sql("UPDATE rotations SET name = %s", "two\nlines\x1b]0;title\x07")
    outputs = [
        cli.ok("user", "list").stdout,
        cli.ok("rotation", "show", str(cli.sql("SELECT id FROM rotations")[0]["id"])).stdout,
        cli.ok("rotation", "list").stdout,
        cli.ok("oncall").stdout,
        cli.ok("user", "list", "--json").stdout,
    ]
    for output in outputs:
        assert not RAW_CONTROL.search(output), repr(output)
    assert "Evil\\x1b[31m\\x07\\x9b[/]\\x7f" in outputs[0]
    assert json.loads(outputs[-1])[0]["name"] == "Evil\x1b[31m\x07\x9b[/]\x7f"
    assert "two\\x0alines\\x1b]0;title\\x07" in outputs[1]


def _start(cli: Cli, name: str, *args: str) -> str:
    created = cli.json("rotation", "create", name, "--type", "daily", *args)
    start: str = created["start"]
    return start


def test_start_is_wall_time_in_the_zone_resolved_like_the_grid(cli: Cli) -> None:
    berlin = ("--zone", "Europe/Berlin")
    assert _start(cli, "winter", "--start", "2027-01-05T09:00", *berlin) == "2027-01-05T08:00:00Z"
    assert _start(cli, "summer", "--start", "2027-07-05T09:00", *berlin) == "2027-07-05T07:00:00Z"
    # 02:30 does not exist on 2027-03-28: the first instant after the gap (03:00 CEST).
    assert _start(cli, "gap", "--start", "2027-03-28T02:30", *berlin) == "2027-03-28T01:00:00Z"
    # 02:30 happens twice on 2027-10-31: its first occurrence (CEST).
    assert _start(cli, "twice", "--start", "2027-10-31T02:30", *berlin) == "2027-10-31T00:30:00Z"
    # An offset that is the zone's, or Z (an instant in UTC), is taken as given.
    assert (
        _start(cli, "own", "--start", "2027-07-05T09:00+02:00", *berlin) == "2027-07-05T07:00:00Z"
    )
    assert _start(cli, "utc", "--start", "2027-07-05T09:00Z", *berlin) == "2027-07-05T09:00:00Z"


def test_an_offset_that_contradicts_the_zone_is_refused(cli: Cli) -> None:
    counts = cli.snapshot()
    before = counts()
    line = cli.refused(
        "rotation", "create", "r", "--type", "daily",
        "--start", "2027-07-05T09:00+01:00", "--zone", "Europe/Berlin",
    )  # fmt: skip
    assert "not Europe/Berlin's at that time (+02:00" in line
    assert counts() == before


def test_edit_reads_a_wall_time_start_in_the_rotations_zone(cli: Cli) -> None:
    _start(cli, "r", "--start", "2027-01-05T09:00", "--zone", "America/New_York")
    edited = cli.json("rotation", "edit", "r", "--start", "2027-07-05T09:00")
    assert edited["start"] == "2027-07-05T13:00:00Z"  # EDT, UTC-4


def test_preview_reads_start_and_from_in_the_zone() -> None:
    result = CliRunner().invoke(
        app,
        [
            "preview", "--type", "hourly", "--start", "2027-03-28T00:00",
            "--zone", "Europe/Berlin", "--from", "2027-03-28T00:30", "--count", "3", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        "2027-03-28T00:00:00Z",
        "2027-03-28T01:00:00Z",
        "2027-03-28T02:00:00Z",
    ]


def test_oncall_far_in_the_future_names_at(cli: Cli) -> None:
    assert cli.refused("oncall", "--at", "9000-01-01T00:00:00Z").startswith("error: at: ")
