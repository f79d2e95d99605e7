"""`handoff schedule ...` (schedules.md, Interfaces): create, list, show, edit, layers added,
moved and removed (each recorded when it changes who is on call), coverage, delete, and
refusals as one line with exit code 2 that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .conftest import Cli

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday


@pytest.fixture
def sc(cli: Cli) -> Cli:
    cli.sql("INSERT INTO handoff_clock (frozen_at) VALUES (%s)", NOW)
    for name in ("Ann", "Bo"):
        cli.ok("user", "create", name)
    for rotation, person in (("primary", "Ann"), ("secondary", "Bo")):
        cli.ok(
            "rotation", "create", rotation, "--type", "daily",
            "--start", "2026-03-01T09:00+01:00", "--zone", "Europe/Berlin",
            "--participant", person,
        )  # fmt: skip
    return cli


def _people(cli: Cli, ids: list[str]) -> list[str]:
    names = {str(r["id"]): r["name"] for r in cli.sql("SELECT id, name FROM users")}
    return [names[i] for i in ids]


def test_primary_secondary_from_the_command_line(sc: Cli) -> None:
    made = sc.json(
        "schedule", "create", "Payments", "--layer", "primary", "--layer", "secondary",
        "--zone", "Europe/Berlin",
    )  # fmt: skip
    assert made["combine"] == "priority" and _people(sc, made["on_call_user_ids"]) == ["Ann"]
    assert "Payments" in sc.ok("schedule", "list").stdout
    shown = sc.ok("schedule", "show", "payments").stdout
    assert "primary" in shown and "secondary" in shown and "Ann" in shown
    moved = sc.json("schedule", "layer", "move", "Payments", "secondary", "--position", "0")
    assert _people(sc, moved["on_call_user_ids"]) == ["Bo"]
    union = sc.json("schedule", "edit", "Payments", "--combine", "union")
    assert _people(sc, union["on_call_user_ids"]) == ["Bo", "Ann"]
    removed = sc.json("schedule", "layer", "remove", "Payments", "secondary")
    assert _people(sc, removed["on_call_user_ids"]) == ["Ann"]
    added = sc.json("schedule", "layer", "add", "Payments", "secondary", "--position", "0")
    assert [layer["position"] for layer in added["layers"]] == [0, 1]
    history = sc.sql("SELECT cause, to_user_ids FROM schedule_history ORDER BY id")
    assert [h["cause"] for h in history] == ["started"]  # every edit at the same frozen instant
    assert _people(sc, [str(u) for u in history[0]["to_user_ids"]]) == ["Bo", "Ann"]
    paged = sc.json("oncall", "--schedule", "payments", "--at", "2026-03-03T12:00:00Z")
    assert _people(sc, paged["user_ids"]) == ["Bo", "Ann"]
    assert "Payments at" in sc.ok("oncall", "--schedule", "Payments").stdout
    covered = sc.json("schedule", "coverage", "Payments", "--weeks", "1")
    assert covered["gaps"] == [] and len(covered["overlaps"]) == 1
    assert "deleted schedule Payments" in sc.ok("schedule", "delete", "Payments").stdout
    assert sc.sql("SELECT count(*) AS n FROM schedules") == [{"n": 0}]


def test_refusals_are_one_line_and_change_nothing(sc: Cli) -> None:
    assert "rotation" in sc.refused("schedule", "create", "X", "--layer", "nope")
    assert "combine" in sc.refused(
        "schedule", "create", "X", "--layer", "primary", "--combine", "first"
    )
    assert sc.sql("SELECT count(*) AS n FROM schedules") == [{"n": 0}]
    sc.ok("schedule", "create", "Payments", "--layer", "primary")
    assert "not a layer" in sc.refused("schedule", "layer", "remove", "Payments", "secondary")
    assert "no schedule" in sc.refused("schedule", "show", "Missing")


def test_schedule_overrides_from_the_command_line(sc: Cli) -> None:
    sc.ok("schedule", "create", "Payments", "--layer", "primary")
    now = "2026-03-02T09:30:00Z"
    added = sc.json(
        "schedule", "override", "add", "Payments", "--start", now,
        "--end", "2026-03-02T12:00:00Z", "--user", "Bo", "--replaces", "Ann",
    )  # fmt: skip
    assert _people(sc, [added[0]["user_id"], added[0]["replaces_user_id"]]) == ["Bo", "Ann"]
    paged = sc.json("oncall", "--schedule", "Payments")
    assert _people(sc, paged["user_ids"]) == ["Bo"]
    later = sc.json(
        "schedule", "override", "add", "Payments", "--start", "2026-03-03T09:00:00Z",
        "--end", "2026-03-03T10:00:00Z",
    )  # fmt: skip
    assert later[0]["user_id"] is None and later[0]["replaces_user_id"] is None
    assert len(sc.json("schedule", "override", "list", "Payments")) == 2
    table = sc.ok("schedule", "override", "list", "Payments").stdout
    assert added[0]["id"] in table and "Bo" in table and "Ann" in table and "—" in table
    assert "in force" in sc.refused("schedule", "override", "delete", "Payments", added[0]["id"])
    assert "not started" in sc.refused("schedule", "override", "end", "Payments", later[0]["id"])
    assert "overlaps" in sc.refused(
        "schedule", "override", "add", "Payments", "--start", "2026-03-03T09:30:00Z",
        "--end", "2026-03-03T11:00:00Z", "--user", "Ann",
    )  # fmt: skip
    sc.ok("schedule", "override", "end", "Payments", added[0]["id"])
    sc.ok("schedule", "override", "delete", "Payments", later[0]["id"])
    assert sc.json("schedule", "override", "list", "Payments") == []
    # The override began and ended at the schedule's first instant: one row, Ann's.
    history = sc.sql("SELECT cause, to_user_ids FROM schedule_history ORDER BY id")
    assert [h["cause"] for h in history] == ["started"]
    assert _people(sc, [str(u) for u in history[0]["to_user_ids"]]) == ["Ann"]


def test_schedule_override_edit(sc: Cli) -> None:
    sc.ok("schedule", "create", "Payments", "--layer", "primary", "--combine", "union")
    [later] = sc.json(
        "schedule", "override", "add", "Payments", "--start", "2026-03-03T09:00:00Z",
        "--end", "2026-03-03T10:00:00Z", "--user", "Bo", "--note", "cover",
    )  # fmt: skip
    # What is not given stays: here only the end moves.
    [longer] = sc.json(
        "schedule", "override", "edit", "Payments", later["id"], "--end", "2026-03-03T12:00:00Z"
    )
    assert (longer["start"], longer["end"]) == ("2026-03-03T09:00:00Z", "2026-03-03T12:00:00Z")
    assert _people(sc, [longer["user_id"]]) == ["Bo"] and longer["note"] == "cover"
    [swapped] = sc.json(
        "schedule", "override", "edit", "Payments", later["id"], "--replaces", "Ann",
        "--note", "Bo for Ann",
    )  # fmt: skip
    assert _people(sc, [swapped["user_id"], swapped["replaces_user_id"]]) == ["Bo", "Ann"]
    at = sc.json("oncall", "--schedule", "Payments", "--at", "2026-03-03T11:00:00Z")
    assert _people(sc, at["user_ids"]) == ["Bo"]
    [removal] = sc.json("schedule", "override", "edit", "Payments", later["id"], "--nobody")
    assert removal["user_id"] is None and removal["replaces_user_id"] == swapped["replaces_user_id"]
    [nobody] = sc.json("schedule", "override", "edit", "Payments", later["id"], "--unconditional")
    assert (nobody["user_id"], nobody["replaces_user_id"]) == (None, None)
    assert "nothing to change" in sc.refused(
        "schedule", "override", "edit", "Payments", later["id"]
    )
    assert "either --user or --nobody" in sc.refused(
        "schedule", "override", "edit", "Payments", later["id"], "--user", "Ann", "--nobody"
    )
    assert "must be after start" in sc.refused(
        "schedule", "override", "edit", "Payments", later["id"], "--end", "2026-03-03T08:00:00Z"
    )
    assert "not an override id" in sc.refused(
        "schedule", "override", "edit", "Payments", "nope", "--note", "x"
    )
    listed = sc.json("schedule", "override", "list", "Payments")
    assert [(o["end"], o["note"]) for o in listed] == [("2026-03-03T12:00:00Z", "Bo for Ann")]
