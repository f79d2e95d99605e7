"""`handoff channel add|list|test|enable|disable|delete`, `handoff subscribe|unsubscribe` (a
rotation, or a --schedule), `handoff remind|unremind` (notify.md): what the web UI's
notification pages can do.

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
from handoff.store import clock, notify, subscribed, users
from handoff.store.errors import NotFound

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
    output.listing(
        found,
        as_json,
        "channels",
        ("id", "name", "kind", "target", "disabled", "last error"),
        lambda c: (
            output.short(c.id),
            c.name,
            c.kind,
            c.target,
            output.when(c.disabled_at),
            c.last_error or "",
        ),
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


def _switch(channel: str, enabled: bool) -> notify.Channel:
    async def body(conn: AsyncConnection[Any], _: Settings) -> notify.Channel:
        found = await notify.find_channel(conn, channel)
        return await channels.update_channel(conn, found.id, enabled=enabled)

    return run(body)


@app.command("enable")
def enable(channel: str) -> None:
    """Enable a channel: it sends what is still pending, then every new message."""
    found = _switch(channel, True)
    console.print(output.text(f"enabled channel {found.name!r}"))


@app.command("disable")
def disable(channel: str) -> None:
    """Disable a channel: its messages wait until it is enabled again."""
    found = _switch(channel, False)
    console.print(output.text(f"disabled channel {found.name!r}"))


@app.command("delete")
def delete(channel: str) -> None:
    """Delete a channel with its subscriptions, reminders and messages."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> notify.Channel:
        found = await notify.find_channel(conn, channel)
        await notify.delete_channel(conn, found.id)
        return found

    found = run(body)
    console.print(output.text(f"deleted channel {found.name!r}"))


Targets = Annotated[
    list[str],
    typer.Argument(
        metavar="[ROTATION] CHANNEL",
        help="A rotation and a channel (names or ids); only the channel with --schedule.",
    ),
]
ScheduleOption = Annotated[
    str | None,
    typer.Option("--schedule", help="A schedule (name or id) instead of a rotation."),
]


def _owner(targets: list[str], schedule: str | None) -> tuple[subscribed.Subscribed, str, str]:
    """What subscribes (a rotation, or the --schedule), its name as typed, and the channel's."""
    if schedule is not None and len(targets) == 1:
        return subscribed.SCHEDULE, schedule, targets[0]
    if schedule is None and len(targets) == 2:
        return subscribed.ROTATION, targets[0], targets[1]
    fail("give a ROTATION and a CHANNEL, or --schedule SCHEDULE and a CHANNEL")


def subscribe(targets: Targets, schedule: ScheduleOption = None) -> None:
    """Post every on-call change of a rotation (or a --schedule) to a channel."""
    owned, owner, channel = _owner(targets, schedule)

    async def body(conn: AsyncConnection[Any], _: Settings) -> subscribed.Link:
        found = await owned.find(conn, owner, await clock.read(conn))
        target = await notify.find_channel(conn, channel)
        return await owned.subscribe(conn, found.id, target.id)

    made = run(body)
    console.print(output.text(f"subscribed: {owner} -> {channel} ({made.id})"))


def unsubscribe(targets: Targets, schedule: ScheduleOption = None) -> None:
    """Stop posting a rotation's (or a --schedule's) on-call changes to a channel."""
    owned, owner, channel = _owner(targets, schedule)

    async def body(conn: AsyncConnection[Any], _: Settings) -> None:
        found = await owned.find(conn, owner, await clock.read(conn))
        target = await notify.find_channel(conn, channel)
        made = [s for s in await owned.listed(conn, found.id) if s.channel_id == target.id]
        if not made:
            raise NotFound(f"subscription of {found.name} to", target.name)
        await owned.unsubscribe(conn, found.id, made[0].id)

    run(body)
    console.print(output.text(f"unsubscribed: {owner} -> {channel}"))


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


def unremind(
    user: str,
    channel: str,
    before: Annotated[
        int | None,
        typer.Option("--before", help="Only the reminder this many minutes before a shift."),
    ] = None,
) -> None:
    """Remove a person's reminders through a channel (all of them, or the one --before)."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> int:
        person = await users.find(conn, user)
        target = await notify.find_channel(conn, channel)
        found = [
            r
            for r in await notify.list_reminders(conn, person.id)
            if r.channel_id == target.id and before in (None, r.before_minutes)
        ]
        if not found:
            what = "" if before is None else f" {before} minutes before"
            raise NotFound(f"reminder{what} for {person.name} through", target.name)
        for reminder in found:
            await notify.remove_reminder(conn, person.id, reminder.id)
        return len(found)

    removed = run(body)
    console.print(output.text(f"removed {removed} reminder(s) of {user} through {channel}"))
