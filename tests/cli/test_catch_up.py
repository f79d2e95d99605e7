"""The CLI's writers catch up first too (engine.md): one second after a boundary no engine has
processed, each edit records the boundary before applying itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handoff.store.clock import ClockSeam

from .conftest import Cli

BOUNDARY = datetime(2026, 3, 2, 10, tzinfo=UTC)
EDITS = {
    "add": ("rotation", "add", "ops", "Dan"),
    "remove": ("rotation", "remove", "ops", "Cid"),
    "set-active": ("rotation", "set-active", "ops", "1"),
    "edit": ("rotation", "edit", "ops", "--length", "2"),
    "user delete": ("user", "delete", "Cid"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_cli_edit_records_the_crossed_boundary_first(cli: Cli, edit: str) -> None:
    clock = ClockSeam(cli.db_url, BOUNDARY - timedelta(minutes=30))
    for name in ("Ann", "Bob", "Cid", "Dan"):
        cli.ok("user", "create", name)
    cli.ok(
        "rotation",
        "create",
        "ops",
        "--type",
        "hourly",
        "--start",
        "2026-03-01T00:00Z",
        "--zone",
        "UTC",
        "--participant",
        "Ann",
        "--participant",
        "Bob",
        "--participant",
        "Cid",
    )
    clock.set(BOUNDARY + timedelta(seconds=1))
    cli.ok(*EDITS[edit])
    rows = cli.sql(
        "SELECT cause, boundary_at, from_user_name, to_user_name FROM handoffs"
        " ORDER BY boundary_at, id"
    )
    assert [(r["cause"], r["boundary_at"]) for r in rows[:2]] == [
        ("started", BOUNDARY - timedelta(minutes=30)),
        ("boundary", BOUNDARY),
    ]
    assert (rows[1]["from_user_name"], rows[1]["to_user_name"]) == ("Ann", "Bob")
    assert all(r["boundary_at"] == BOUNDARY + timedelta(seconds=1) for r in rows[2:])
