"""`handoff channel`, `handoff subscribe`, `handoff remind` against the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.conftest import Cli

from .conftest import Receiver


@pytest.fixture
def cli(db_url: str, tmp_path: Path, receiver: Receiver) -> Cli:
    env = {
        "HANDOFF_DATABASE_URL": db_url,
        "HANDOFF_DATA_DIR": str(tmp_path),
        "HANDOFF_LOG_LEVEL": "warning",
        "COLUMNS": "200",
        "HANDOFF_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
    }
    return Cli(db_url, CliRunner(), env)


def test_channels_subscriptions_and_reminders(cli: Cli, receiver: Receiver) -> None:
    added = cli.ok("channel", "add", "team", "--kind", "webhook", "--target", receiver.at("/h"))
    secret = added.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    listed = cli.json("channel", "list")
    assert [c["name"] for c in listed] == ["team"]
    assert secret not in cli.ok("channel", "list").stdout and "secret" not in listed[0]
    assert "delivered" in cli.ok("channel", "test", "team").stdout
    assert len(receiver.to("/h")) == 1

    cli.ok("user", "create", "Ann Lee")
    cli.ok(
        "rotation", "create", "payments", "--type", "weekly", "--start", "2026-11-30T09:00",
        "--zone", "Europe/Berlin", "--participant", "Ann Lee",
    )  # fmt: skip
    cli.ok("subscribe", "payments", "team")
    assert "subscribed to that channel already" in cli.refused("subscribe", "payments", "team")
    cli.ok("remind", "Ann Lee", "team", "--before", "30")
    assert cli.sql("SELECT before_minutes FROM notify_reminders") == [{"before_minutes": 30}]
    assert "before_minutes" in cli.refused("remind", "Ann Lee", "team", "--before", "20000")
    assert "no channel" in cli.refused("subscribe", "payments", "nosuch")
    assert "did you mean 'team'?" in cli.refused("subscribe", "payments", "tema")
    assert "subscribed to that channel already" in cli.refused("subscribe", "payments", "TEAM")

    receiver.scripts["/h"] = lambda n: (410, {})
    assert "not delivered" in cli.refused("channel", "test", "team")
    cli.ok("channel", "delete", "team")
    assert cli.json("channel", "list") == []


def test_refusals_change_nothing(cli: Cli) -> None:
    assert "--kind" in cli.refused("channel", "add", "x", "--kind", "fax", "--target", "http://a")
    assert "target" in cli.refused("channel", "add", "x", "--kind", "slack", "--target", "nope")
    assert cli.sql("SELECT count(*) AS n FROM notify_channels") == [{"n": 0}]
