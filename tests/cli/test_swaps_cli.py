"""`handoff swap request|take|cancel|list`: the API's rules from the command line, wall times
in the rotation's zone, and every mistake as one line with exit code 2 that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .conftest import Cli

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TWO_DAYS = ("--start", "2026-03-03T09:00", "--end", "2026-03-05T09:00")


@pytest.fixture
def sw(cli: Cli) -> Cli:
    """The engine's clock frozen at NOW; a Berlin rotation of Ann and Bo; Cy is not in it."""
    cli.sql("INSERT INTO handoff_clock (frozen_at) VALUES (%s)", NOW)
    for name in ("Ann", "Bo", "Cy"):
        cli.ok("user", "create", name)
    cli.ok(
        "rotation", "create", "primary", "--type", "daily",
        "--start", "2026-03-01T09:00+01:00", "--zone", "Europe/Berlin",
        "--participant", "Ann", "--participant", "Bo",
    )  # fmt: skip
    return cli


def test_request_take_list_and_cancel(sw: Cli) -> None:
    [asked] = sw.json("swap", "request", "primary", "--user", "ann", *TWO_DAYS, "--note", "trip")
    assert (asked["status"], asked["requester_name"], asked["note"]) == ("open", "Ann", "trip")
    assert asked["start"] == "2026-03-03T08:00:00Z"  # 09:00 in Berlin
    [taken] = sw.json("swap", "take", asked["id"], "--user", "Bo")
    assert (taken["status"], taken["taker_name"]) == ("taken", "Bo")
    [override] = sw.sql("SELECT user_id, replaces_user_id FROM overrides")
    assert str(override["user_id"]) == taken["taker_id"]
    assert str(override["replaces_user_id"]) == asked["requester_id"]
    assert [s["id"] for s in sw.json("swap", "list", "primary", "--user", "Bo")] == [asked["id"]]
    assert sw.json("swap", "list", "--status", "open") == []
    table = sw.ok("swap", "list").stdout
    assert "Ann" in table and "taken" in table and "Bo" in table
    [cancelled] = sw.json("swap", "cancel", asked["id"])
    assert cancelled["status"] == "cancelled"
    assert sw.sql("SELECT count(*) AS n FROM overrides") == [{"n": 0}]


def test_swap_mistakes_are_one_line_and_change_nothing(sw: Cli) -> None:
    assert "not on call" in sw.refused("swap", "request", "primary", "--user", "Cy", *TWO_DAYS)
    [asked] = sw.json("swap", "request", "primary", "--user", "Ann", *TWO_DAYS)
    assert "participant" in sw.refused("swap", "take", asked["id"], "--user", "Cy")
    assert "own swap" in sw.refused("swap", "take", asked["id"], "--user", "Ann")
    assert "not a swap id" in sw.refused("swap", "take", "nope", "--user", "Bo")
    assert "status" in sw.refused("swap", "list", "--status", "lost")
    sw.ok("swap", "cancel", asked["id"])
    assert "cancelled already" in sw.refused("swap", "cancel", asked["id"])
    assert sw.sql("SELECT status FROM swaps") == [{"status": "cancelled"}]
    assert sw.sql("SELECT count(*) AS n FROM overrides") == [{"n": 0}]


@pytest.mark.parametrize(
    ("start", "end", "line"),
    [
        ("soon", "later", "error: --start: 'soon' is not a time like 2026-03-01T09:00:00+01:00"),
        (
            "2026-03-03T09:00",
            "later",
            "error: --end: 'later' is not a time like 2026-03-01T09:00:00+01:00",
        ),
    ],
)
def test_a_mistaken_time_is_the_same_line_as_for_an_override(
    sw: Cli, start: str, end: str, line: str
) -> None:
    """`swap request` and `override add` read --start and --end alike (`cli.times.window`)."""
    window = ("--start", start, "--end", end)
    assert sw.refused("swap", "request", "primary", "--user", "Ann", *window) == line
    assert sw.refused("override", "add", "primary", "--user", "Bo", *window) == line
    assert sw.sql(
        "SELECT (SELECT count(*) FROM swaps) + (SELECT count(*) FROM overrides) AS n"
    ) == [{"n": 0}]
