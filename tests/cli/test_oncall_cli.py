"""`handoff override ...` and `handoff change ...`: wall times in the rotation's zone, the same
rules as the API, and every mistake as one line with exit code 2 that changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .conftest import Cli

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def oc(cli: Cli) -> Cli:
    """The CLI with the engine's clock (the database's) frozen at NOW, and a Berlin rotation
    of Ann and Bo; Cy is not in it."""
    cli.sql("INSERT INTO handoff_clock (frozen_at) VALUES (%s)", NOW)
    for name in ("Ann", "Bo", "Cy"):
        cli.ok("user", "create", name)
    cli.ok(
        "rotation", "create", "primary", "--type", "daily",
        "--start", "2026-03-01T09:00+01:00", "--zone", "Europe/Berlin",
        "--participant", "Ann", "--participant", "Bo",
    )  # fmt: skip
    return cli


def _override(cli: Cli, *args: str) -> dict[str, Any]:
    created: list[dict[str, Any]] = cli.json("override", "add", "primary", *args)
    return created[0]


def _counts(cli: Cli) -> Callable[[], dict[str, int]]:
    """Every table's row count, overrides and scheduled changes included."""
    tables = cli.snapshot()

    def counts() -> dict[str, int]:
        mine = cli.sql(
            "SELECT (SELECT count(*) FROM overrides) AS overrides,"
            " (SELECT count(*) FROM scheduled_changes) AS scheduled_changes"
        )[0]
        return tables() | mine

    return counts


def _user_id(cli: Cli, name: str) -> str:
    return str(cli.sql("SELECT id FROM users WHERE name = %s", name)[0]["id"])


def test_override_times_are_wall_times_in_the_rotation_zone_or_instants(oc: Cli) -> None:
    wall = _override(oc, "--start", "2026-03-03T18:00", "--end", "2026-03-04T09:00", "--user", "Cy")
    assert wall["start"] == "2026-03-03T17:00:00Z" and wall["end"] == "2026-03-04T08:00:00Z"
    assert wall["user_id"] == _user_id(oc, "Cy") and wall["replaces_user_id"] is None
    # the night Berlin springs forward: 02:30 does not exist, so it is 03:00 CEST (01:00Z)
    gap = _override(oc, "--start", "2026-03-29T02:30", "--end", "2026-03-29T04:00", "--nobody")
    assert gap["start"] == "2026-03-29T01:00:00Z" and gap["end"] == "2026-03-29T02:00:00Z"
    assert gap["user_id"] is None
    offset = _override(
        oc, "--start", "2026-03-05T09:00-05:00", "--end", "2026-03-05T15:00Z",
        "--user", "Cy", "--replaces", "Ann", "--note", "conference",
    )  # fmt: skip
    assert offset["start"] == "2026-03-05T14:00:00Z" and offset["end"] == "2026-03-05T15:00:00Z"
    assert offset["replaces_user_id"] == _user_id(oc, "Ann") and offset["note"] == "conference"
    table = oc.ok("override", "list", "primary").stdout
    assert "Cy" in table and "nobody" in table and "conference" in table


def test_list_filters(oc: Cli) -> None:
    oc.ok("rotation", "create", "other", "--type", "weekly", "--start", "2026-03-02T09:00Z",
          "--zone", "UTC", "--participant", "Cy")  # fmt: skip
    mine = _override(oc, "--start", "2026-03-03T18:00", "--end", "2026-03-04T09:00", "--user", "Bo")
    theirs = oc.json(
        "override", "add", "other", "--start", "2026-03-03T10:00Z", "--end", "2026-03-03T12:00Z",
        "--user", "Ann",
    )[0]  # fmt: skip
    assert [o["id"] for o in oc.json("override", "list")] == [theirs["id"], mine["id"]]
    assert [o["id"] for o in oc.json("override", "list", "primary")] == [mine["id"]]
    assert [o["id"] for o in oc.json("override", "list", "--user", "Ann")] == [theirs["id"]]
    early = oc.json("override", "list", "--until", "2026-03-03T11:00Z")
    assert [o["id"] for o in early] == [theirs["id"]]
    # without a rotation there is no zone to read a wall time in
    assert "offset" in oc.refused("override", "list", "--until", "2026-03-03T11:00")
    # read in Berlin, 18:00 is 17:00Z, the very start of Bo's override: nothing starts before it
    assert oc.json("override", "list", "primary", "--until", "2026-03-03T18:00") == []
    assert len(oc.json("override", "list", "primary", "--until", "2026-03-03T18:01")) == 1


def test_edit_end_and_delete(oc: Cli) -> None:
    future = _override(
        oc, "--start", "2026-03-03T18:00", "--end", "2026-03-04T09:00", "--user", "Cy"
    )
    edited = oc.json("override", "edit", future["id"], "--end", "2026-03-04T10:00", "--nobody")[0]
    assert edited["end"] == "2026-03-04T09:00:00Z" and edited["user_id"] is None
    in_force = _override(
        oc, "--start", "2026-03-02T10:00", "--end", "2026-03-02T12:00", "--user", "Cy"
    )
    oc.sql("UPDATE handoff_clock SET frozen_at = %s", NOW + timedelta(minutes=5, seconds=30))
    ended = oc.ok("override", "end", in_force["id"]).stdout
    assert "2026-03-02 09:35:30Z" in ended  # the command's instant, not a minute
    assert "deleted" in oc.ok("override", "delete", future["id"]).stdout
    assert oc.sql("SELECT count(*) AS n FROM overrides")[0]["n"] == 1


def test_override_mistakes_are_one_line_and_change_nothing(oc: Cli) -> None:
    first = _override(
        oc, "--start", "2026-03-03T18:00", "--end", "2026-03-04T09:00", "--user", "Cy"
    )
    counts = _counts(oc)
    before = counts()
    overlap = oc.refused(
        "override", "add", "primary", "--start", "2026-03-03T20:00", "--end", "2026-03-03T22:00",
        "--nobody",
    )  # fmt: skip
    assert first["id"] in overlap
    window = ("--start", "2026-03-05T18:00", "--end", "2026-03-05T20:00")
    assert "--user or --nobody" in oc.refused("override", "add", "primary", *window)
    assert "Dee" in oc.refused("override", "add", "primary", *window, "--user", "Dee")
    assert "end" in oc.refused(
        "override", "add", "primary", "--start", "2026-03-01T18:00", "--end", "2026-03-01T20:00",
        "--nobody",
    )  # fmt: skip
    assert "nope" in oc.refused("override", "delete", "nope")
    assert "no override" in oc.refused("override", "end", "00000000-0000-4000-8000-000000000000")
    assert "not started" in oc.refused("override", "end", first["id"])
    assert "nothing to change" in oc.refused("override", "edit", first["id"])
    assert counts() == before
    oc.sql("UPDATE handoff_clock SET frozen_at = %s", datetime(2026, 3, 5, tzinfo=UTC))
    assert "history" in oc.refused("override", "delete", first["id"])
    assert "ended" in oc.refused("override", "edit", first["id"], "--note", "late")


def test_changes_add_list_delete(oc: Cli) -> None:
    weekly = oc.json(
        "change", "add", "primary", "--at", "2026-03-09T09:00", "--type", "weekly",
        "--participants", "Ann,Bo,Cy", "--note", "Cy joins",
    )[0]  # fmt: skip
    assert weekly["effective_at"] == "2026-03-09T08:00:00Z" and weekly["type"] == "weekly"
    assert weekly["participants"] == [_user_id(oc, n) for n in ("Ann", "Bo", "Cy")]
    # a new anchor is read in the new zone
    moved = oc.json(
        "change", "add", "primary", "--at", "2026-03-10T09:00", "--zone", "America/New_York",
        "--start", "2026-03-10T09:00",
    )[0]  # fmt: skip
    assert moved["start"] == "2026-03-10T13:00:00Z" and moved["time_zone"] == "America/New_York"
    listed = oc.json("change", "list", "primary")
    assert [c["id"] for c in listed] == [weekly["id"], moved["id"]]
    assert oc.json("change", "list", "primary", "--applied") == []
    table = oc.ok("change", "list", "primary").stdout
    assert "Cy joins" in table and "Ann, Bo, Cy" in table
    assert "deleted" in oc.ok("change", "delete", moved["id"]).stdout
    assert [c["id"] for c in oc.json("change", "list", "primary", "--pending")] == [weekly["id"]]


def test_change_mistakes_are_one_line_and_change_nothing(oc: Cli) -> None:
    first = oc.json("change", "add", "primary", "--at", "2026-03-09T09:00", "--length", "2")[0]
    counts = _counts(oc)
    before = counts()
    again = oc.refused("change", "add", "primary", "--at", "2026-03-09T08:00Z", "--type", "weekly")
    assert first["id"] in again
    assert "effective_at" in oc.refused(
        "change", "add", "primary", "--at", "2026-03-01T09:00", "--length", "3"
    )
    assert "at least one" in oc.refused("change", "add", "primary", "--at", "2026-03-11T09:00")
    assert "position" in oc.refused(
        "change", "add", "primary", "--at", "2026-03-11T09:00", "--position", "5"
    )
    assert "no rotation" in oc.refused(
        "change", "add", "nope", "--at", "2026-03-11T09:00", "--length", "3"
    )
    assert "shift_length" in oc.refused(
        "change", "add", "primary", "--at", "2026-03-11T09:00", "--length", "0"
    )
    assert "not a scheduled change id" in oc.refused("change", "delete", "x")
    assert counts() == before
    oc.sql("UPDATE scheduled_changes SET applied_at = %s", NOW)
    assert "taken effect" in oc.refused("change", "delete", first["id"])
