"""`handoff rotation show` of a rotation nobody takes part in says so, with no blank values."""

from __future__ import annotations

from .conftest import Cli


def test_show_without_participants_says_nobody_takes_part(cli: Cli) -> None:
    cli.ok(
        "rotation",
        "create",
        "empty",
        "--type",
        "daily",
        "--start",
        "2026-01-05T09:00",
        "--zone",
        "UTC",
    )
    shown = cli.ok("rotation", "show", "empty").stdout
    assert "on call: nobody, no participants (no handoffs until someone is added)" in shown
    assert "since ;" not in shown
    cli.ok("user", "create", "Ann")
    cli.ok("rotation", "add", "empty", "Ann")
    assert "on call: Ann since " in cli.ok("rotation", "show", "empty").stdout
