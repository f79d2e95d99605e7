"""The audit log from the command line (people.md): the CLI's writes are audited as the OS
user, naming the command; `handoff audit` reads the log; `handoff history` says who made each
manual change."""

from __future__ import annotations

import getpass

from .conftest import Cli


def test_cli_writes_are_audited_as_the_os_user(cli: Cli) -> None:
    me = getpass.getuser()
    cli.ok("user", "create", "Ann")
    cli.ok("user", "create", "Bob")
    cli.ok(
        "rotation", "create", "primary", "--type", "daily", "--start", "2026-03-01T09:00:00Z",
        "--zone", "UTC", "--participant", "Ann", "--participant", "Bob",
    )  # fmt: skip
    cli.ok("rotation", "set-active", "primary", "2")
    entries = cli.sql("SELECT via, actor_name, route, action FROM audit_log ORDER BY id")
    assert {(e["via"], e["actor_name"]) for e in entries} == {("cli", me)}
    routes = {e["route"].partition(" ")[2]: e["action"] for e in entries}
    assert routes["user create"] == "user.create"
    assert routes["rotation create"] in (
        "rotation.create",
        "participant.create",
        "rotation_state.create",
    )
    assert any(
        e["route"].endswith("rotation set-active") and e["action"] == "rotation_state.update"
        for e in entries
    )

    history = cli.json("history", "primary")
    manual = [h for h in history if h["cause"] == "manual"]
    assert manual and manual[0]["made_by"] == me
    assert me in cli.ok("history", "primary").stdout

    shown = cli.json("audit", "--object-type", "user")
    assert [e["action"] for e in shown] == ["user.create", "user.create"]
    assert shown[0]["after"]["name"] == "Bob"  # newest first
    assert "user.create" in cli.ok("audit").stdout


def test_the_audit_command_filters_and_refuses_like_the_others(cli: Cli) -> None:
    cli.ok("user", "create", "Ann")
    [ann] = cli.sql("SELECT id FROM users")
    by_object = cli.json("audit", "--object-type", "user", "--object-id", str(ann["id"]))
    assert [e["object_id"] for e in by_object] == [str(ann["id"])]
    # nobody signed in as Ann made anything
    assert cli.json("audit", "--user", "Ann") == []
    assert "no user" in cli.refused("audit", "--user", "Nobody").lower()
    assert "--since" in cli.refused("audit", "--since", "yesterday")
    before = cli.sql("SELECT count(*) AS n FROM audit_log")
    cli.ok("audit")
    assert cli.sql("SELECT count(*) AS n FROM audit_log") == before  # reading writes nothing
