"""`handoff import goalert`: move a GoAlert deployment's rotations over (import.md).

Reads GoAlert's database in one read-only snapshot, plans every rotation (pure), writes each
one in its own transaction (unless `--dry-run`), and prints the report. A refusal before any
write (unreachable, not GoAlert, a schema too old, an unknown `--rotation`) is one line and
exit code 2; a rotation that is a conflict or holds a value handoff cannot take is reported,
the rest imported, and the exit code is 1.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from psycopg import AsyncConnection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from handoff.cli import output
from handoff.cli.common import console, err_console, fail
from handoff.cli.run import run
from handoff.config import Settings
from handoff.goalert import plan, report, source, write
from handoff.store import goalert

app = typer.Typer(help="Import rotations from GoAlert.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Import rotations from GoAlert."""


async def _import(
    conn: AsyncConnection[Any], settings: Settings, url: str, names: list[str], *, dry_run: bool
) -> report.Report:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        reading = progress.add_task("reading GoAlert", total=None)
        try:
            snapshot = await source.read(url)
        except source.SourceError as exc:
            fail(str(exc))
        try:
            chosen = plan.select(snapshot, names)
        except KeyError as exc:
            fail(f"--rotation: GoAlert has no rotation named {exc.args[0]!r}")
        existing = await goalert.existing(
            conn,
            {r.id: r.name for r in snapshot.rotations},
            list(snapshot.users),
            [u.email for u in snapshot.users.values()],
        )
        gone = await goalert.gone(conn, [r.id for r in snapshot.rotations])
        planned = plan.plan(
            chosen, snapshot.users, existing, snapshot.now, settings.max_participants
        )
        progress.update(reading, total=1, completed=1)
        task = progress.add_task("checking" if dry_run else "importing", total=len(planned.items))
        lines = []
        for item in planned.items:
            outcome, message = item.outcome, item.message
            if not dry_run and outcome not in ("conflict", "invalid"):
                applied = await write.apply(conn, item)
                outcome, message = applied.outcome, applied.message
            lines.append(report.line(item, outcome, message))
            progress.advance(task)
    return report.report(planned, lines, gone, snapshot.now, dry_run=dry_run)


def show(result: report.Report, as_json: bool) -> None:
    if as_json:
        output.print_json(result.as_json())
        return
    output.table(
        "rotations",
        ("rotation", "outcome", "on call", "since", "next handoff", "note"),
        [
            (
                line.name,
                line.outcome,
                line.on_call,
                output.when(line.shift_start),
                output.when(line.next_handoff),
                line.message
                or (
                    f"stale: the engine records {line.stale_boundaries} missed boundaries"
                    if line.stale_boundaries
                    else ""
                ),
            )
            for line in result.lines
        ],
    )
    differences = [line for line in result.lines if line.difference is not None]
    if differences:
        output.table(
            "differences from GoAlert's own time math",
            ("rotation", "handoff's next handoff", "GoAlert's", "why"),
            [
                (
                    line.name,
                    output.when(line.difference.handoff_next),
                    output.when(line.difference.goalert_next) or "(GoAlert fails)",
                    line.difference.reason,
                )
                for line in differences
                if line.difference is not None
            ],
        )
    if result.gone:
        output.table(
            "deleted in GoAlert since imported: kept in handoff (`handoff rotation delete`)",
            ("rotation", "id"),
            [(gone.name, gone.id) for gone in result.gone],
        )
    if result.matched:
        output.table(
            "GoAlert users who are people handoff has (the same email): their shifts are theirs",
            ("GoAlert user", "email", "handoff person", "id"),
            [(u.goalert_name, u.email, u.name, u.handoff_id) for u in result.matched],
        )
    counts = ", ".join(f"{outcome} {n}" for outcome, n in result.counts().items())
    suffix = " (dry run: nothing changed)" if result.dry_run else ""
    console.print(
        f"{counts}; users created {result.users_created}, updated {result.users_updated}"
        f", matched {len(result.matched)}"
        f"; deleted in GoAlert {len(result.gone)}{suffix}",
        highlight=False,
    )


@app.command("goalert")
def goalert_command(
    url: Annotated[
        str,
        typer.Option("--from", help="GoAlert's database, e.g. postgresql://reader@host/goalert."),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read, check and report; change nothing.")
    ] = False,
    rotation: Annotated[
        list[str] | None,
        typer.Option("--rotation", help="Only this GoAlert rotation (by name); repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=output.JSON_HELP)] = False,
) -> None:
    """Import GoAlert's rotations and their people, with who is on call since when."""

    async def body(conn: AsyncConnection[Any], settings: Settings) -> report.Report:
        return await _import(conn, settings, url, rotation or [], dry_run=dry_run)

    result = run(body, via="import")
    show(result, as_json)
    raise typer.Exit(result.exit_code)
