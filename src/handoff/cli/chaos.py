"""`handoff chaos`: the fault suite (issue 6), with the figures it measures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from handoff.chaos import report, runner
from handoff.chaos.context import FULL, QUICK
from handoff.cli import common
from handoff.embedded_pg import EmbeddedPostgresError


def chaos(
    quick: Annotated[
        bool, typer.Option("--quick", help="Smaller loads, one boundary per fault (< 5 minutes).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every figure as JSON on stdout.")
    ] = False,
    fault: Annotated[
        list[str] | None,
        typer.Option(help=f"Run only this fault (repeatable): {', '.join(runner.FAULTS)}."),
    ] = None,
    log_dir: Annotated[
        Path | None, typer.Option(help="Keep the worker and API logs in this directory.")
    ] = None,
) -> None:
    """Kill workers, stop the database, lose jobs, break data: prove no handoff is lost or
    doubled.

    Works in a temporary database of its own (dropped afterwards) on HANDOFF_DATABASE_URL's
    server, or on a private embedded PostgreSQL that it may restart. Exits 1 when any
    fault breaks an invariant.
    """
    chosen = fault or list(runner.DEFAULT_FAULTS)
    unknown = [name for name in chosen if name not in runner.FAULTS]
    if unknown:
        common.fail(f"unknown fault {unknown[0]!r}; expected one of {', '.join(runner.FAULTS)}")
    loaded = common.settings()

    def say(message: str) -> None:
        common.err_console.print(message, highlight=False)

    try:
        result = runner.run(
            QUICK if quick else FULL,
            database_url=loaded.database_url,
            faults=chosen,
            say=say,
            log_dir=log_dir,
        )
    except EmbeddedPostgresError as exc:
        common.fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
    else:
        report.render(result, common.console)
    if not result.ok:
        raise typer.Exit(1)
