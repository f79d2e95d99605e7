"""The `handoff` console script."""

from __future__ import annotations

import typer

from handoff.cli import database

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


def main() -> None:
    app()
