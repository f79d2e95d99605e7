"""`handoff oncall`, `handoff preview` and `handoff history`: who is on call when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import fail
from handoff.cli.run import parse_time, run
from handoff.clock import host_now
from handoff.config import Settings
from handoff.store import clock, projections, rotations, users
from handoff.store import history as history_store
from handoff.store.errors import Invalid
from handoff.store.pagination import MAX_LIMIT

JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]


def oncall(
    at: Annotated[str | None, typer.Option("--at", help="When (default now), RFC 3339.")] = None,
    rotation: Annotated[
        str | None, typer.Option("--rotation", help="Only this rotation (name or id).")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help="Who this schedule pages (name or id), layers combined."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Who is on call now, or at --at (the future is projected)."""
    parsed = None if at is None else parse_time(at, "--at")
    if schedule is not None:
        from handoff.cli.schedules import print_oncall  # imported when asked, like commands

        print_oncall(schedule, parsed, as_json)
        return

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[datetime, list[projections.OnCall], dict[UUID, str], dict[UUID, rotations.Rotation]]:
        now = await clock.read(conn)
        when = now if parsed is None else parsed
        rotation_id = None
        if rotation is not None:
            rotation_id = (await rotations.find(conn, rotation, now=now)).id
        wanted = None if rotation_id is None else [rotation_id]
        found = await projections.oncall(conn, when, rotation_ids=wanted)
        names = await users.names(conn, [o.user_id for o in found])
        shown = await rotations.get_many(conn, [o.rotation_id for o in found], now=when)
        return when, found, names, shown

    when, found, names, shown = run(body)
    zones = {r.time_zone for r in shown.values()}
    output.listing(
        found,
        as_json,
        f"on call at {output.when(when, zones.pop() if len(zones) == 1 else None)}",
        ("rotation", "user", "shift start", "shift end"),
        lambda o: (
            shown[o.rotation_id].name,
            names.get(o.user_id, o.user_id),
            output.when(o.shift_start, shown[o.rotation_id].time_zone),
            output.when(o.shift_end, shown[o.rotation_id].time_zone),
        ),
    )


def preview(
    type_: Annotated[str, typer.Option("--type", help="hourly, daily, weekly or monthly.")],
    start: Annotated[
        str,
        typer.Option(
            "--start", help="Grid anchor: wall time in --zone, or RFC 3339 with an offset or Z."
        ),
    ],
    zone: Annotated[str, typer.Option("--zone", help="IANA time zone.")],
    length: Annotated[int, typer.Option("--length", help="Shift length in type units.")] = 1,
    count: Annotated[int, typer.Option("--count", help="How many handoffs (1..50).")] = 5,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Handoffs after this time (default now), like --start."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The next handoffs of a grid, without saving anything. Needs no database."""
    anchor = parse_time(start, "--start", zone)
    after = host_now() if from_ is None else parse_time(from_, "--from", zone)
    if not 1 <= count <= projections.MAX_HANDOFFS:
        fail(f"--count must be between 1 and {projections.MAX_HANDOFFS}, got {count}")
    try:
        grid = rotations.check_grid(type_, length, anchor, zone)
        handoffs = grid.next_handoffs(after, count)
    except Invalid as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        output.print_json(handoffs)
        return
    local = ZoneInfo(zone)  # valid: the grid loaded it
    output.table(
        "next handoffs",
        ("UTC", f"local ({zone})"),
        [(output.when(h), h.astimezone(local).strftime("%a %Y-%m-%d %H:%M %Z")) for h in handoffs],
    )


def history(
    rotation: Annotated[str, typer.Argument(help="Rotation name or id.")],
    since: Annotated[str | None, typer.Option("--since", help="From this time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this time.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help=f"At most this many (1..{MAX_LIMIT}).")
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Recorded handoffs of a rotation, newest first."""
    start: datetime | None = None if since is None else parse_time(since, "--since")
    end: datetime | None = None if until is None else parse_time(until, "--until")

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[str, list[history_store.Entry]]:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        page = await history_store.history(conn, found.id, since=start, until=end, limit=limit)
        return found.time_zone, page.items

    zone, entries = run(body)
    output.listing(
        entries,
        as_json,
        "history",
        ("boundary", "processed", "cause", "from", "to", "by"),
        lambda e: (
            output.when(e.boundary_at, zone),
            output.when(e.processed_at, zone),
            e.cause,
            e.from_user_name,
            e.to_user_name,
            e.made_by or "the engine",
        ),
    )
