"""`handoff rotation ...`, `handoff oncall`, `handoff preview`, `handoff history`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff.grid import Grid

from .conftest import Cli


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _people(cli: Cli, *names: str) -> dict[str, str]:
    return {name: cli.json("user", "create", name)["id"] for name in names}


def _create(cli: Cli, name: str = "primary", *extra: str) -> dict[str, object]:
    args = [
        "rotation",
        "create",
        name,
        "--type",
        "daily",
        "--start",
        "2026-03-02T09:00:00+01:00",
        "--zone",
        "Europe/Berlin",
        *extra,
    ]
    created: dict[str, object] = cli.json(*args)
    return created


def test_create_show_list_by_name(cli: Cli) -> None:
    ids = _people(cli, "Ann", "Bob")
    created = _create(
        cli,
        "primary",
        "--participant",
        "Ann",
        "--participant",
        ids["Bob"],
        "--length",
        "2",
        "--description",
        "databases",
    )
    assert created["on_call_user_id"] == ids["Ann"]
    assert [p["user_id"] for p in created["participants"]] == [ids["Ann"], ids["Bob"]]
    assert created["shift_length"] == 2 and created["start"] == "2026-03-02T08:00:00Z"
    shown = cli.json("rotation", "show", "primary")
    assert shown == cli.json("rotation", "show", str(created["id"])) | {
        "next_handoff": shown["next_handoff"]
    }
    table = cli.ok("rotation", "show", "primary").stdout
    assert "Ann" in table and "Bob" in table
    _create(cli, "secondary")
    assert [r["name"] for r in cli.json("rotation", "list")] == ["primary", "secondary"]
    assert [r["name"] for r in cli.json("rotation", "list", "--search", "second")] == ["secondary"]
    assert "secondary" in cli.ok("rotation", "list").stdout


def test_edit_add_remove_set_active_delete(cli: Cli) -> None:
    ids = _people(cli, "Ann", "Bob", "Cid")
    _create(cli, "primary", "--participant", "Ann", "--participant", "Bob")
    edited = cli.json(
        "rotation", "edit", "primary", "--type", "weekly", "--zone", "UTC", "--name", "main"
    )
    assert edited["type"] == "weekly" and edited["name"] == "main"
    assert edited["on_call_user_id"] == ids["Ann"]
    replaced = cli.json("rotation", "edit", "main", "--participants", "Bob, Ann")
    assert replaced["active_index"] == 1 and replaced["on_call_user_id"] == ids["Ann"]
    added = cli.ok("rotation", "add", "main", "Cid").stdout
    assert "Cid" in added
    cli.ok("rotation", "set-active", "main", "3")
    assert cli.json("rotation", "show", "main")["on_call_user_id"] == ids["Cid"]
    cli.ok("rotation", "remove", "main", "Cid")
    after = cli.json("rotation", "show", "main")
    assert after["on_call_user_id"] == ids["Bob"]  # position 2 was removed: wraps to 0
    participant = after["participants"][1]["id"]
    cli.ok("rotation", "remove", "main", participant)
    assert [p["user_id"] for p in cli.json("rotation", "show", "main")["participants"]] == [
        ids["Bob"]
    ]
    causes = [h["cause"] for h in cli.json("history", "main")]
    assert causes[:2] == ["participant_removed", "manual"]
    cli.ok("rotation", "delete", "main")
    assert cli.json("rotation", "list") == []


def test_bad_input_is_one_line_exit_2_and_changes_nothing(cli: Cli) -> None:
    _people(cli, "Ann")
    _create(cli, "primary", "--participant", "Ann")
    counts = cli.snapshot()
    before = counts()
    start = ["--start", "2026-03-02T09:00:00Z"]
    assert "unknown time zone" in cli.refused(
        "rotation", "create", "x", "--type", "daily", *start, "--zone", "Mars/Base"
    )
    assert "shift_length" in cli.refused(
        "rotation", "create", "x", "--type", "daily", *start, "--zone", "UTC", "--length", "0"
    )
    assert "type" in cli.refused(
        "rotation", "create", "x", "--type", "yearly", *start, "--zone", "UTC"
    )
    assert "not Europe/Berlin's at that time (+02:00" in cli.refused(
        "rotation",
        "create",
        "x",
        "--type",
        "daily",
        "--start",
        "2026-07-01T09:00+01:00",
        "--zone",
        "Europe/Berlin",
    )
    assert "needs a UTC offset" in cli.refused("oncall", "--at", "2026-03-02T09:00")
    assert "no user 'Zed'" in cli.refused(
        "rotation",
        "create",
        "x",
        "--type",
        "daily",
        *start,
        "--zone",
        "UTC",
        "--participant",
        "Zed",
    )
    assert "already exists" in cli.refused(
        "rotation", "create", "primary", "--type", "daily", *start, "--zone", "UTC"
    )
    assert "no rotation 'nope'" in cli.refused("rotation", "show", "nope")
    assert "position" in cli.refused("rotation", "set-active", "primary", "5")
    assert "no user 'Zed'" in cli.refused("rotation", "edit", "primary", "--participants", "Zed")
    assert "unknown time zone" in cli.refused("rotation", "edit", "primary", "--zone", "Nowhere")
    assert "no user" in cli.refused("rotation", "remove", "primary", "Zed")
    assert "no rotation" in cli.refused("history", "nope")
    assert counts() == before


def test_oncall_history_and_preview(cli: Cli) -> None:
    ids = _people(cli, "Ann", "Bob")
    created = _create(cli, "primary", "--participant", "Ann", "--participant", "Bob")
    _create(cli, "idle")
    now = cli.json("oncall")
    assert [(o["rotation_id"], o["user_id"]) for o in now] == [(created["id"], ids["Ann"])]
    grid = Grid("daily", 1, datetime(2026, 3, 2, 8, tzinfo=UTC), "Europe/Berlin")
    first = datetime.fromisoformat(str(created["next_handoff"]))
    later = cli.json("oncall", "--at", _z(first + timedelta(minutes=1)), "--rotation", "primary")
    assert later == [
        {
            "rotation_id": created["id"],
            "user_id": ids["Bob"],
            "shift_start": _z(first),
            "shift_end": _z(grid.end_time(first)),
            "override_id": None,
        }
    ]
    assert "primary" in cli.ok("oncall").stdout
    assert "--at" in cli.refused("oncall", "--at", "tomorrow")
    history = cli.json("history", "primary")
    assert [(h["cause"], h["to_user_name"]) for h in history] == [("started", "Ann")]
    preview = cli.json(
        "preview",
        "--type",
        "monthly",
        "--start",
        "2026-01-31T10:00:00+09:00",
        "--zone",
        "Asia/Tokyo",
        "--count",
        "3",
        "--from",
        "2026-02-01T00:00:00Z",
    )
    monthly = Grid("monthly", 1, datetime(2026, 1, 31, 1, tzinfo=UTC), "Asia/Tokyo")
    assert preview == [_z(t) for t in monthly.next_handoffs(datetime(2026, 2, 1, tzinfo=UTC), 3)]
    table = cli.ok(
        "preview", "--type", "daily", "--start", "2026-01-01T09:00:00Z", "--zone", "Europe/Berlin"
    ).stdout
    assert "CET" in table or "CEST" in table
    assert "unknown time zone" in cli.refused(
        "preview", "--type", "daily", "--start", "2026-01-01T09:00:00Z", "--zone", "Nope/Nope"
    )
    assert "--count" in cli.refused(
        "preview",
        "--type",
        "daily",
        "--start",
        "2026-01-01T09:00:00Z",
        "--zone",
        "UTC",
        "--count",
        "0",
    )
