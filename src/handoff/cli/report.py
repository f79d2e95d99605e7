"""`handoff report oncall`: who carried the pager over a range, and when nobody did."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from psycopg import AsyncConnection

from handoff import report_table
from handoff.cli import output
from handoff.cli.run import parse_time, run
from handoff.config import Settings
from handoff.reports import Report
from handoff.store import clock, reports, rotations, schedules, users

app = typer.Typer(no_args_is_help=True, help="Reports: who was on call how long, and the gaps.")


@app.callback()
def _group() -> None:
    """Reports: who was on call how long, and the gaps."""


@app.command("oncall")
def oncall(
    since: Annotated[str, typer.Option("--since", help="Start of the range, RFC 3339.")],
    until: Annotated[str, typer.Option("--until", help="End of the range (at most 400 days).")],
    rotation: Annotated[
        str | None, typer.Option("--rotation", help="Only this rotation (name or id).")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help="This schedule's final on-call (name or id)."),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this person (name or id).")
    ] = None,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV for a spreadsheet (the API's bytes).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=output.JSON_HELP)] = False,
) -> None:
    """Hours on call per person and rotation or schedule (night, weekend, covered), and the
    gaps. Every rotation unless --rotation or --schedule says which."""
    start, end = parse_time(since, "--since"), parse_time(until, "--until")

    async def body(conn: AsyncConnection[Any], _: Settings) -> Report:
        now = await clock.read(conn)
        rotation_id = (
            None if rotation is None else (await rotations.find(conn, rotation, now=now)).id
        )
        schedule_id = (
            None if schedule is None else (await schedules.find(conn, schedule, now=now)).id
        )
        user_id = None if user is None else (await users.find(conn, user)).id
        return await reports.oncall(
            conn,
            start,
            end,
            now=now,
            rotation_id=rotation_id,
            schedule_id=schedule_id,
            user_id=user_id,
        )

    report = run(body)
    if as_csv:
        sys.stdout.buffer.write(report_table.as_csv(report))
        sys.stdout.flush()
        return
    if as_json:
        output.print_json(report_table.as_json(report))
        return
    names = report_table.rotation_names(report)
    output.table(
        f"on call {output.when(report.since)} to {output.when(report.until)}",
        (
            "rotation or schedule",
            "person",
            "hours",
            "planned",
            "night",
            "weekend",
            "covered for",
            "covered by",
        ),
        [
            (
                names[r.rotation_id],
                r.name,
                *(
                    report_table.hours(s)
                    for s in (
                        r.seconds,
                        r.planned_seconds,
                        r.night_seconds,
                        r.weekend_seconds,
                        r.covered_for_others_seconds,
                        r.covered_by_others_seconds,
                    )
                ),
            )
            for r in report.rows
        ],
    )
    output.table(
        "per rotation or schedule",
        ("rotation or schedule", "hours", "gap hours", "spread hours"),
        [
            (
                t.name,
                report_table.hours(t.seconds),
                report_table.hours(t.gap_seconds),
                report_table.hours(t.spread_seconds),
            )
            for t in report.totals
        ],
    )
