"""`handoff channel add|list|test|delete`, `handoff subscribe`, `handoff remind` (notify.md).

Channels, rotations and users are named by name or id. A webhook channel's secret is printed
once, by `channel add`; nothing else shows it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import console, fail
from handoff.cli.run import run
from handoff.config import Settings
from handoff.notify import channels, send
from handoff.notify.probe import send_test
from handoff.notify.targets import KINDS
from handoff.store import clock, notify, rotations, users

app = typer.Typer(help="Notification channels: webhooks, Slack and email.", no_args_is_help=True)


@app.command("add")
def add(
    name: str,
    kind: Annotated[str, typer.Option("--kind", help="webhook, slack or email.")],
    target: Annotated[
        str, typer.Option("--target", help="An http(s) URL, or an email address for email.")
    ],
) -> None:
    """Add a channel; a webhook's signing secret is printed this once."""
    if kind not in KINDS:
        fail(f"--kind must be webhook, slack or email, got {kind!r}")

    async def body(conn: AsyncConnection[Any], _: Settings) -> tuple[notify.Channel, str | None]:
        return await channels.create_channel(conn, name, kind, target)

    channel, secret = run(body)
    console.print(output.text(f"added {channel.kind} channel {channel.name!r} ({channel.id})"))
    if secret is not None:
        console.print(output.text("its signing secret, shown only this once:"))
        typer.echo(secret)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help=output.JSON_HELP)] = False) -> None:
    """List channels (never their secrets)."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[notify.Channel]:
        return await notify.list_channels(conn)

    found = run(body)
    if as_json:
        output.print_json([output.as_dict(c) for c in found])
        return
    output.table(
        "channels",
        ("id", "name", "kind", "target", "disabled", "last error"),
        [
            (
                str(c.id),
                c.name,
                c.kind,
                c.target,
                output.when(c.disabled_at),
                c.last_error or "",
            )
            for c in found
        ],
    )


@app.command("test")
def test(channel: str) -> None:
    """Send a test message now and print what the receiver answered."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> send.Result:
        return await send_test(conn, (await notify.find_channel(conn, channel)).id)

    result = run(body)
    if result.status is not None and 200 <= result.status < 300:
        console.print(output.text(f"delivered: the receiver answered {result.status}"))
        return
    fail(f"not delivered: {result.error}")


@app.command("delete")
def delete(channel: str) -> None:
    """Delete a channel with its subscriptions, reminders and messages."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> notify.Channel:
        found = await notify.find_channel(conn, channel)
        await notify.delete_channel(conn, found.id)
        return found

    found = run(body)
    console.print(output.text(f"deleted channel {found.name!r}"))


def subscribe(rotation: str, channel: str) -> None:
    """Post every on-call change of a rotation to a channel."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> notify.Subscription:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        target = await notify.find_channel(conn, channel)
        return await notify.subscribe(conn, found.id, target.id)

    made = run(body)
    console.print(output.text(f"subscribed: {rotation} -> {channel} ({made.id})"))


def remind(
    user: str,
    channel: str,
    before: Annotated[
        int, typer.Option("--before", help="Minutes before each shift starts (0 to 10080).")
    ] = 60,
) -> None:
    """Remind a person through a channel before each of their shifts."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> notify.Reminder:
        person = await users.find(conn, user)
        target = await notify.find_channel(conn, channel)
        return await notify.add_reminder(conn, person.id, target.id, before)

    made = run(body)
    console.print(
        output.text(f"{user} is reminded {made.before_minutes} minutes before each shift")
    )
