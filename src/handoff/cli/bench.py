"""`handoff bench`: measure the engines side by side (shared/spec/bench.md)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from handoff.bench import plot, report, runner
from handoff.bench.profiles import FULL, QUICK
from handoff.bench.server import RefusedError
from handoff.cli import common
from handoff.embedded_pg import EmbeddedPostgresError


def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Smaller sizes and shorter windows (under 4 minutes).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every figure as JSON on stdout.")
    ] = False,
    plot_file: Annotated[
        Path | None, typer.Option("--plot", help="Draw the scaling curves into this PNG file.")
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Run only this scenario (repeatable): {', '.join(runner.SCENARIOS)}. "
            f"Without it, all but {', '.join(runner.ASKED_FOR_ONLY)}."
        ),
    ] = None,
    stall_rotations: Annotated[
        int | None, typer.Option(min=1, help="Rotations for the stall scenario (10,000).")
    ] = None,
    stall_clients: Annotated[
        int | None, typer.Option(min=1, help="Slow clients for the stall scenario (60).")
    ] = None,
    stall_seconds: Annotated[
        float | None,
        typer.Option(min=5, max=3600, help="How long the stall scenario attacks (60 s)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Run even when HANDOFF_DATABASE_URL's database holds rotations."
        ),
    ] = False,
) -> None:
    """Benchmark the queue engine against the batch engine and this machine's ceiling.

    Every scenario works in a temporary database of its own, dropped afterwards; without
    HANDOFF_DATABASE_URL a private embedded PostgreSQL is started for the run.
    """
    chosen = scenario or list(runner.DEFAULT_SCENARIOS)
    unknown = [name for name in chosen if name not in runner.SCENARIOS]
    if unknown:
        common.fail(
            f"unknown scenario {unknown[0]!r}; expected one of {', '.join(runner.SCENARIOS)}"
        )
    if plot_file is not None and plot_file.suffix.lower() != ".png":
        common.fail(f"--plot needs a .png file name, got {str(plot_file)!r}")
    loaded = common.settings()
    ordered = [name for name in runner.SCENARIOS if name in chosen]
    profile = QUICK if quick else FULL
    profile = dataclasses.replace(
        profile,
        stall_rotations=stall_rotations or profile.stall_rotations,
        stall_clients=stall_clients or profile.stall_clients,
        stall_seconds=stall_seconds or profile.stall_seconds,
    )
    try:
        results = runner.run(
            profile,
            database_url=loaded.database_url,
            force=force,
            scenarios=ordered,
            console=common.err_console,
        )
    except RefusedError as exc:
        common.fail(str(exc))
    except EmbeddedPostgresError as exc:
        common.fail(str(exc))
    if plot_file is not None:
        plot.draw(results, plot_file)
    if as_json:
        typer.echo(json.dumps(results.as_json(), indent=2))
    else:
        report.render(results, common.console)
