"""The `handoff` console script: a command group that imports each command only when it runs.

`handoff --help` lists the commands from `COMMANDS` alone, so it imports Typer and Rich and no
command module (no web framework, no database driver, no migrations); `handoff user create`
imports `handoff.cli.users` and what that needs. A command is registered by one line in
`COMMANDS`: its name, where its Typer app or command function lives, and its one-line help
(a test checks that line against the command's own docstring).

A mistake on the command line (an unknown option, a missing argument, a bad value) costs one line
on stderr and exit code 2, like every other user error.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # Typer's own copy of Click (since 0.29): what it raises
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

from handoff.cli.terminal import USER_ERROR_EXIT_CODE, one_line


@dataclass(frozen=True, slots=True)
class Lazy:
    """A command to import on use: `target` is "module:attribute", a Typer app or a function."""

    target: str
    help: str


COMMANDS: dict[str, Lazy] = {
    "api": Lazy("handoff.cli.serve:api", "Serve the HTTP API."),
    "audit": Lazy(
        "handoff.cli.audit:audit_log",
        "Every write through the API, the UI, the CLI and the import: who, what, before, after.",
    ),
    "bench": Lazy(
        "handoff.cli.bench:bench",
        "Benchmark the queue engine against the batch engine and this machine's ceiling.",
    ),
    "chaos": Lazy(
        "handoff.cli.chaos:chaos",
        "Kill workers, stop the database, lose jobs, break data: prove no handoff is lost or "
        "doubled.",
    ),
    "change": Lazy("handoff.cli.changes:app", "Scheduled changes to rotations."),
    "channel": Lazy("handoff.cli.notify:app", "Notification channels: webhooks, Slack and email."),
    "history": Lazy(
        "handoff.cli.schedule:history", "Recorded handoffs of a rotation, newest first."
    ),
    "import": Lazy("handoff.cli.imports:app", "Import rotations from GoAlert."),
    "migrate": Lazy("handoff.cli.database:migrate", "Apply the database migrations and exit."),
    "oncall": Lazy(
        "handoff.cli.schedule:oncall", "Who is on call now, or at --at (the future is projected)."
    ),
    "override": Lazy("handoff.cli.overrides:app", "Overrides: who covers whom, when."),
    "preview": Lazy(
        "handoff.cli.schedule:preview",
        "The next handoffs of a grid, without saving anything. Needs no database.",
    ),
    "remind": Lazy(
        "handoff.cli.notify:remind",
        "Remind a person through a channel before each of their shifts.",
    ),
    "report": Lazy("handoff.cli.report:app", "Reports: who was on call how long, and the gaps."),
    "rotation": Lazy("handoff.cli.rotations:app", "Rotations and their participants."),
    "schedule": Lazy(
        "handoff.cli.schedules:app", "Schedules: rotations stacked into one final on-call."
    ),
    "subscribe": Lazy(
        "handoff.cli.notify:subscribe",
        "Post every on-call change of a rotation (or a --schedule) to a channel.",
    ),
    "swap": Lazy("handoff.cli.swaps:app", "Shift swaps: ask for cover, take it, cancel."),
    "token": Lazy("handoff.cli.tokens:app", "API tokens."),
    "unremind": Lazy(
        "handoff.cli.notify:unremind",
        "Remove a person's reminders through a channel (all of them, or the one --before).",
    ),
    "unsubscribe": Lazy(
        "handoff.cli.notify:unsubscribe",
        "Stop posting a rotation's (or a --schedule's) on-call changes to a channel.",
    ),
    "up": Lazy(
        "handoff.cli.up:up",
        "Run the API and a queue engine beside it (embedded PostgreSQL by default).",
    ),
    "user": Lazy("handoff.cli.users:app", "People who go on call."),
    "worker": Lazy(
        "handoff.cli.worker:worker",
        "Run a rotation engine: hands off every rotation at its boundary.",
    ),
}


class _Listed(TyperCommand):
    """What `--help` lists for a command that has not been imported."""


def load(name: str) -> click.Command:
    """Import a registered command and build its click command."""
    module_name, attribute = COMMANDS[name].target.split(":")
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class Commands(TyperGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            return _Listed(cmd_name, help=COMMANDS[cmd_name].help)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, _Listed) and name is not None:
            command = load(name)
        return name, command, rest

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's main, with a usage error as one line (`error: ...`) and exit code 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else exc.format_message(), err=True)
            sys.exit(USER_ERROR_EXIT_CODE)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, UsageError) and exc.ctx is not None:
                hint = f" (see {exc.ctx.command_path} --help)"
            typer.echo(f"error: {one_line(exc.format_message())}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="handoff",
    cls=Commands,
    help="On-call rotations that hand off exactly at the boundary.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    utc: bool = typer.Option(False, "--utc", help="Print times in UTC, not the rotation's zone."),
    wide: bool = typer.Option(False, "--wide", help="Print whole ids in tables, not 8 characters."),
) -> None:
    """On-call rotations that hand off exactly at the boundary."""
    from handoff.cli import output

    output.options.utc, output.options.wide = utc, wide


def main() -> None:
    app()
