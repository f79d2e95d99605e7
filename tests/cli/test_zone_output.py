"""The command line speaks the rotation's zone and fits a terminal (issue 23, item 3): times on
the rotation's wall clock with their offset (`--utc` for UTC), the person on call by name,
tables within 80 columns with short ids (`--wide` for whole ones), and a plain
`handoff rotation list` that imports no web framework, queue or migration machinery, no
structlog (with its tracebacks, rich's and pygments': it logs nothing) and no schedules (only a
rotation's deletion needs them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .conftest import Cli

BERLIN = ZoneInfo("Europe/Berlin")
HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "procrastinate",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "structlog",
)


def _setup(cli: Cli) -> None:
    for name in ("Ann Lee", "Bo Chen"):
        cli.ok("user", "create", name)
    cli.ok(
        "rotation", "create", "payments", "--type", "daily", "--start", "2026-03-02T09:00",
        "--zone", "Europe/Berlin", "--participant", "Ann Lee", "--participant", "Bo Chen",
    )  # fmt: skip


def test_rotation_list_names_who_is_on_call_in_the_rotation_s_zone_within_80_columns(
    cli: Cli,
) -> None:
    _setup(cli)
    cli.env["COLUMNS"] = "80"
    listed = cli.ok("rotation", "list").stdout
    assert all(len(line) <= 80 for line in listed.splitlines()), listed
    row = next(line for line in listed.splitlines() if "payments" in line)
    assert "Ann Lee" in row  # by name, not by id
    assert re.search(r"\d{4}-\d\d-\d\d 09:00\+0[12]:00", row), row  # Berlin's wall clock
    in_utc = cli.ok("--utc", "rotation", "list").stdout
    assert re.search(r"\d{4}-\d\d-\d\d 0[78]:00Z", in_utc), in_utc
    assert "+01:00" not in in_utc and "+02:00" not in in_utc


def test_show_prints_short_ids_within_80_columns_and_whole_ones_with_wide(cli: Cli) -> None:
    _setup(cli)
    cli.env["COLUMNS"] = "80"
    user_id = cli.json("user", "list")[0]["id"]
    shown = cli.ok("rotation", "show", "payments").stdout
    assert "start 2026-03-02 09:00+01:00, zone Europe/Berlin" in shown
    table = shown.split("participants", 1)[1]
    assert all(len(line) <= 80 for line in table.splitlines()), table
    assert user_id[:8] in table and user_id not in table
    wide = cli.ok("--wide", "rotation", "show", "payments").stdout
    assert user_id in wide


def test_history_and_oncall_speak_the_rotation_s_zone(cli: Cli) -> None:
    _setup(cli)
    history = cli.ok("history", "payments").stdout
    assert re.search(r"\d\d:\d\d(:\d\d)?\+0[12]:00", history), history
    assert not re.search(r"\d\d:\d\d(:\d\d)?Z", history), history
    # Two days on, past the first shift the rotation's creation began (it runs from the real
    # clock's now): the day's shift runs from the day before's 09:00 to the day's, in Berlin.
    day = datetime.now(UTC).date() + timedelta(days=2)
    at = datetime.combine(day, time(3), UTC)
    oncall = cli.ok("oncall", "--rotation", "payments", "--at", f"{day}T03:00Z").stdout

    def wall(moment: datetime) -> str:
        local = moment.astimezone(BERLIN)
        return local.strftime("%Y-%m-%d %H:%M") + local.strftime("%z")[:3] + ":00"

    assert f"on call at {wall(at)}" in oncall, oncall
    ends = datetime.combine(day, time(9), BERLIN)
    assert wall(ends - timedelta(days=1)) in oncall and wall(ends) in oncall, oncall


def test_a_plain_rotation_list_imports_none_of_the_heavy_modules(cli: Cli) -> None:
    cli.ok("rotation", "list")  # migrated: the measured run is an everyday one
    script = (
        "import sys; from handoff.cli.main import main; sys.argv[1:] = ['rotation', 'list']; main()"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, **cli.env},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "next handoff" in result.stdout
    loaded = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert loaded == []
    assert {"handoff.schedules", "handoff.store.schedules"} & imported == set()


def test_overrides_and_changes_are_listed_in_the_rotation_s_zone(cli: Cli) -> None:
    _setup(cli)
    cli.ok("override", "add", "payments", "--start", "2027-01-05T18:00", "--end",
           "2027-01-06T09:00", "--user", "Bo Chen")  # fmt: skip
    listed = cli.ok("override", "list", "payments").stdout
    assert "2027-01-05 18:00+01:00" in listed and "2027-01-06 09:00+01:00" in listed
    cli.ok("change", "add", "payments", "--at", "2027-07-05T09:00", "--type", "weekly")
    changes = cli.ok("change", "list", "payments").stdout
    assert "2027-07-05 09:00+02:00" in changes  # summer in Berlin
