"""People without duplicates on the command line (people.md): namesakes, emails, edits,
lookups ignoring case with suggestions, 1-based positions."""

from __future__ import annotations

import re

from typer.testing import Result

from handoff.cli.main import app
from handoff.store.pagination import MAX_LIMIT

from .conftest import Cli


def test_a_second_person_of_the_same_name_needs_allow_same_name(cli: Cli) -> None:
    ann = cli.json("user", "create", "Ann Lee")
    counts = cli.snapshot()
    before = counts()
    refused = cli.refused("user", "create", " ann lee ")
    assert ann["id"] in refused and "--allow-same-name" in refused
    assert counts() == before
    cli.ok("user", "create", "ann lee", "--allow-same-name")
    assert [u["name"] for u in cli.json("user", "list")] == ["Ann Lee", "ann lee"]


def test_an_email_another_person_has_is_refused_naming_them(cli: Cli) -> None:
    ann = cli.json("user", "create", "Ann", "--email", "ann@example.com")
    counts = cli.snapshot()
    before = counts()
    refused = cli.refused("user", "create", "Bob", "--email", "ANN@example.com")
    assert "Ann" in refused and ann["id"] in refused
    cli.ok("user", "create", "Bob")
    assert "Ann" in cli.refused("user", "edit", "Bob", "--email", "Ann@Example.com")
    assert cli.json("user", "list")[1]["email"] is None
    assert counts()["users"] == before["users"] + 1


def test_edit_renames_and_changes_email_and_time_zone(cli: Cli) -> None:
    cli.ok("user", "create", "Ann", "--email", "ann@example.com", "--time-zone", "Europe/Berlin")
    edited = cli.json(
        "user",
        "edit",
        "ann",
        "--name",
        "Anna",
        "--email",
        "anna@example.com",
        "--time-zone",
        "Asia/Tokyo",
    )
    assert (edited["name"], edited["email"], edited["time_zone"]) == (
        "Anna",
        "anna@example.com",
        "Asia/Tokyo",
    )
    assert "edited user Anna" in cli.ok("user", "edit", "Anna", "--email", "").stdout
    cleared = cli.json("user", "edit", "Anna", "--time-zone", "")
    assert (cleared["email"], cleared["time_zone"], cleared["role"]) == (None, None, None)
    assert "time_zone" in cli.refused("user", "edit", "Anna", "--time-zone", "Mars/Base")
    assert "time_zone" in cli.refused("user", "create", "Bob", "--time-zone", "Nowhere")
    assert "name" in cli.refused("user", "edit", "Anna", "--name", " ")


def test_names_match_ignoring_case_and_suggest_the_closest(cli: Cli) -> None:
    cli.ok("user", "create", "Ann Lee")
    cli.ok("user", "create", "Bo Chen")
    cli.ok(
        "rotation",
        "create",
        "payments",
        "--type",
        "daily",
        "--start",
        "2026-03-02T09:00",
        "--zone",
        "UTC",
        "--participant",
        "ANN LEE",
    )
    assert cli.json("rotation", "show", "Payments")["name"] == "payments"
    assert "did you mean 'payments'?" in cli.refused("rotation", "show", "paymets")
    assert "did you mean 'Ann Lee'?" in cli.refused("user", "delete", "Ann Le")
    assert cli.refused("user", "delete", "Zed") == "error: no user 'Zed'"
    cli.ok("user", "create", "bo chen", "--allow-same-name")
    cli.ok("user", "edit", "Bo Chen", "--email", "bo@example.com")  # the exact case wins
    assert "more than one user is named 'BO CHEN'" in cli.refused("user", "delete", "BO CHEN")


def test_positions_count_from_one(cli: Cli) -> None:
    for name in ("Ann", "Bob", "Cid"):
        cli.ok("user", "create", name)
    cli.ok(
        "rotation",
        "create",
        "primary",
        "--type",
        "daily",
        "--start",
        "2026-03-02T09:00",
        "--zone",
        "UTC",
        "--participant",
        "Ann",
        "--participant",
        "Bob",
        "--participant",
        "Cid",
    )
    shown = cli.ok("rotation", "show", "primary").stdout
    rows = re.findall(r"^\W*(\d+)\W+(Ann|Bob|Cid)\b", shown, re.MULTILINE)
    assert rows == [("1", "Ann"), ("2", "Bob"), ("3", "Cid")]
    cli.ok("rotation", "set-active", "primary", "3")
    rotation = cli.json("rotation", "show", "primary")
    assert rotation["active_index"] == 2  # the JSON is the API's, 0-based
    assert "from 1 to 3" in cli.refused("rotation", "set-active", "primary", "0")
    assert "from 1 to 3" in cli.refused("rotation", "set-active", "primary", "4")
    change = cli.json("change", "add", "primary", "--at", "2030-03-11T09:00Z", "--position", "1")
    assert change[0]["active_index"] == 0
    assert "position" in cli.refused(
        "change", "add", "primary", "--at", "2030-03-11T09:00Z", "--position", "4"
    )


def test_user_edit_sets_the_role_and_keeps_the_last_admin(cli: Cli) -> None:
    cli.ok("user", "create", "Ann")
    assert cli.json("user", "edit", "Ann", "--role", "admin")["role"] == "admin"
    assert "last admin" in cli.refused("user", "edit", "Ann", "--role", "none", "--name", "X")
    assert cli.json("user", "list")[0] | {"id": None, "created_at": None} == {
        "id": None,
        "name": "Ann",
        "email": None,
        "time_zone": None,
        "role": "admin",
        "created_at": None,
    }
    assert "role" in cli.refused("user", "edit", "Ann", "--role", "owner")
    cli.ok("user", "create", "Bob")
    cli.ok("user", "edit", "Bob", "--role", "admin")
    assert cli.json("user", "edit", "Ann", "--role", "none")["role"] is None
    assert "last admin" in cli.refused("user", "edit", "Bob", "--role", "responder")


def test_set_password_is_prompted_twice_and_stored_as_an_argon2_hash(cli: Cli) -> None:
    cli.ok("user", "create", "Ann")

    def set_password(typed: str) -> Result:
        return cli.runner.invoke(app, ["user", "set-password", "ann"], input=typed, env=cli.env)

    done = set_password("a long passphrase\na long passphrase\n")
    assert done.exit_code == 0 and "a long passphrase" not in done.output
    assert "cannot sign in without a role and an email" in done.stderr
    [row] = cli.sql("SELECT hash FROM user_passwords")
    assert row["hash"].startswith("$argon2id$")
    short = set_password("short\nshort\n")
    assert short.exit_code == 2 and "password: must be 10" in short.stderr
    assert cli.sql("SELECT hash FROM user_passwords") == [row]
    assert "No such option" in cli("user", "set-password", "Ann", "--password", "x" * 12).stderr


def test_token_create_for_a_person_acts_with_their_role(cli: Cli) -> None:
    cli.ok("user", "create", "Ann")
    cli.ok("user", "edit", "Ann", "--role", "responder")
    secret = cli.ok("token", "create", "--name", "ann's", "--user", "ann", "--quiet").stdout
    [row] = cli.sql("SELECT t.role, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id")
    assert row == {"role": None, "name": "Ann"} and secret.startswith("hoff_")
    assert "responder (a person's)" in cli.ok("token", "list").stdout
    assert cli.json("token", "list")[0]["role"] == "responder"
    assert "not both" in cli.refused(
        "token", "create", "--name", "x", "--user", "Ann", "--role", "admin"
    )
    assert "not both" in cli.refused("token", "create", "--name", "x")
    assert "no user 'Zed'" in cli.refused("token", "create", "--name", "x", "--user", "Zed")


def test_user_list_shows_every_page(cli: Cli) -> None:
    """The command line follows the store's cursors to the end (`pagination.every`)."""
    cli.sql(
        "INSERT INTO users (name) SELECT 'user ' || lpad(i::text, 4, '0')"
        " FROM generate_series(1, %s) AS i",
        MAX_LIMIT + 1,
    )
    listed = [u["name"] for u in cli.json("user", "list")]
    assert listed == [f"user {i:04d}" for i in range(1, MAX_LIMIT + 2)]
