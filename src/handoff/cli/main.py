"""The `handoff` console script."""

from __future__ import annotations

import typer

from handoff.cli import changes, database, overrides, rotations, schedule, serve, tokens, up, users
from handoff.cli.bench import bench
from handoff.cli.chaos import chaos
from handoff.cli.worker import worker

app = typer.Typer(
    name="handoff",
    help="On-call rotations that hand off exactly at the boundary.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """On-call rotations that hand off exactly at the boundary."""


app.command("migrate")(database.migrate)
app.command("worker")(worker)
app.command("api")(serve.api)
app.command("up")(up.up)
app.command("oncall")(schedule.oncall)
app.command("preview")(schedule.preview)
app.command("history")(schedule.history)
app.add_typer(rotations.app, name="rotation")
app.add_typer(users.app, name="user")
app.add_typer(tokens.app, name="token")
app.add_typer(overrides.app, name="override")
app.add_typer(changes.app, name="change")
app.command("bench")(bench)
app.command("chaos")(chaos)


def main() -> None:
    app()
