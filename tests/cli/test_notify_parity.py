"""The command line can do what the notification pages can (issue 23, item 8): enable and
disable a channel, unsubscribe a rotation, remove a reminder; refusals are one line and change
nothing."""

from __future__ import annotations

from .conftest import Cli


def _world(cli: Cli) -> None:
    """A channel written with plain SQL (no target check: nothing is sent), a person and a
    rotation subscribed to it, and two reminders."""
    cli.sql(
        "INSERT INTO notify_channels (name, kind, target) VALUES ('ops', 'slack', 'https://x.y/z')"
    )
    cli.ok("user", "create", "Ann Lee")
    cli.ok(
        "rotation", "create", "payments", "--type", "weekly", "--start", "2026-11-30T09:00",
        "--zone", "Europe/Berlin", "--participant", "Ann Lee",
    )  # fmt: skip
    cli.ok("subscribe", "payments", "ops")
    cli.ok("remind", "Ann Lee", "ops", "--before", "30")
    cli.ok("remind", "Ann Lee", "ops", "--before", "60")


def test_disable_and_enable_a_channel(cli: Cli) -> None:
    _world(cli)
    assert "disabled channel 'ops'" in cli.ok("channel", "disable", "ops").stdout
    assert cli.json("channel", "list")[0]["disabled_at"] is not None
    table = cli.ok("channel", "list").stdout
    assert "ops" in table and "channels" in table
    assert "enabled channel 'ops'" in cli.ok("channel", "enable", "ops").stdout
    assert cli.json("channel", "list")[0]["disabled_at"] is None
    assert "no channel" in cli.refused("channel", "disable", "nosuch")


def test_unsubscribe(cli: Cli) -> None:
    _world(cli)
    cli.ok("unsubscribe", "payments", "ops")
    assert cli.sql("SELECT count(*) AS n FROM notify_subscriptions") == [{"n": 0}]
    line = cli.refused("unsubscribe", "payments", "ops")
    assert line == "error: no subscription of payments to ops"
    cli.ok("subscribe", "payments", "ops")  # and back


def test_unremind_one_or_all(cli: Cli) -> None:
    _world(cli)
    cli.ok("unremind", "Ann Lee", "ops", "--before", "30")
    assert cli.sql("SELECT before_minutes FROM notify_reminders") == [{"before_minutes": 60}]
    assert "no reminder 30 minutes before" in cli.refused(
        "unremind", "Ann Lee", "ops", "--before", "30"
    )
    cli.ok("remind", "Ann Lee", "ops", "--before", "15")
    assert "removed 2 reminder(s)" in cli.ok("unremind", "Ann Lee", "ops").stdout
    assert cli.sql("SELECT count(*) AS n FROM notify_reminders") == [{"n": 0}]


def test_subscribe_and_unsubscribe_a_schedule(cli: Cli) -> None:
    """`--schedule` names a schedule instead of the rotation: its own subscription, beside the
    rotation's, and the same one-line refusals."""
    _world(cli)
    cli.ok("schedule", "create", "Payments team", "--layer", "payments")
    made = cli.ok("subscribe", "--schedule", "payments team", "ops").stdout
    assert "subscribed: payments team -> ops" in made
    told = cli.sql(
        "SELECT s.name FROM notify_schedule_subscriptions t"
        " JOIN schedules s ON s.id = t.schedule_id"
    )
    assert told == [{"name": "Payments team"}]
    assert cli.sql("SELECT count(*) AS n FROM notify_subscriptions") == [{"n": 1}]
    twice = cli.refused("subscribe", "--schedule", "Payments team", "ops")
    assert twice == "error: the schedule is subscribed to that channel already"
    assert "no schedule" in cli.refused("subscribe", "--schedule", "nosuch", "ops")
    both = cli.refused("subscribe", "payments", "ops", "--schedule", "Payments team")
    assert both == "error: give a ROTATION and a CHANNEL, or --schedule SCHEDULE and a CHANNEL"
    cli.ok("unsubscribe", "--schedule", "Payments team", "ops")
    assert cli.sql("SELECT count(*) AS n FROM notify_schedule_subscriptions") == [{"n": 0}]
    assert cli.sql("SELECT count(*) AS n FROM notify_subscriptions") == [{"n": 1}]
    line = cli.refused("unsubscribe", "--schedule", "Payments team", "ops")
    assert line == "error: no subscription of Payments team to ops"
