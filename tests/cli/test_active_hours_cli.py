"""`--active`, `--always` and `--turns` on `rotation create|edit` and `change add` (hours.md),
and the rotation's hours in words on `rotation show`."""

from __future__ import annotations

from .conftest import Cli

BUSINESS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]
CREATE = ("rotation", "create", "weekdays", "--type", "daily", "--start", "2026-03-02T09:00")
ZONE = ("--zone", "Europe/Berlin")


def test_create_edit_and_show_active_hours(cli: Cli) -> None:
    cli.ok("user", "create", "Ann")
    created = cli.json(*CREATE, *ZONE, "--participant", "Ann", "--active", "mon-fri 09:00-17:00")
    assert created["active_hours"] == BUSINESS and created["turns"] == "active"
    shown = cli.ok("rotation", "show", "weekdays").stdout
    assert "active: weekdays 09:00-17:00 Europe/Berlin, turns counted over active units" in shown
    nights = cli.json(
        "rotation", "edit", "weekdays", "--active", "mon-thu 17:00-09:00",
        "--active", "fri-mon 17:00-09:00", "--turns", "calendar",
    )  # fmt: skip
    assert nights["active_hours"] == [
        {"days": ["mon", "tue", "wed", "thu"], "from": "17:00", "to": "09:00"},
        {"days": ["mon", "fri", "sat", "sun"], "from": "17:00", "to": "09:00"},  # in week order
    ]
    assert nights["turns"] == "calendar"
    assert cli.json("rotation", "edit", "weekdays", "--always")["active_hours"] is None
    assert "active: always" in cli.ok("rotation", "show", "weekdays").stdout


def test_refusals_are_one_line_and_change_nothing(cli: Cli) -> None:
    counts = cli.snapshot()
    before = counts()
    assert "expected 'mon-fri 09:00-17:00'" in cli.refused(*CREATE, *ZONE, "--active", "weekdays")
    assert "active_hours[0].to" in cli.refused(*CREATE, *ZONE, "--active", "mon 09:00-25:00")
    assert "turns" in cli.refused(*CREATE, *ZONE, "--turns", "sometimes")
    assert counts() == before
    cli.ok(*CREATE, *ZONE)
    assert "give one of them" in cli.refused(
        "rotation", "edit", "weekdays", "--always", "--active", "sat 00:00-24:00"
    )


def test_a_change_sets_active_hours(cli: Cli) -> None:
    cli.ok(*CREATE, *ZONE)
    made = cli.json(
        "change", "add", "weekdays", "--at", "2099-01-05T09:00", "--active", "mon-fri 09:00-17:00"
    )
    assert [c["active_hours"] for c in made] == [BUSINESS]
    cleared = cli.json("change", "add", "weekdays", "--at", "2099-01-06T09:00", "--always")
    assert [c["active_hours"] for c in cleared] == ["always"]
