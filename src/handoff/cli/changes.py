"""`handoff change add|list|delete`: changes to a rotation that take effect at a later instant.

`--at` (and a new `--start`) are RFC 3339 with an offset, or wall times in the rotation's zone
(a new `--start` in the new `--zone` when one is given). The engine applies the change at its
instant exactly as `handoff rotation edit` would then.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import typer
from psycopg import AsyncConnection

from handoff.cli import output, positions
from handoff.cli.common import console, fail
from handoff.cli.rotations import (
    ActiveOption,
    AlwaysFlag,
    TurnsOption,
    active_hours,
    user_ids,
)
from handoff.cli.run import run
from handoff.cli.times import TIME_HELP, instant
from handoff.config import Settings
from handoff.store import changes, clock, rotations, users
from handoff.store.pagination import MAX_LIMIT, every

app = typer.Typer(help="Scheduled changes to rotations.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
RotationArg = Annotated[str, typer.Argument(help="Rotation name or id.")]


def _describe(change: changes.Change, names: dict[UUID, str], zone: str) -> str:
    parts = [
        f"{field} {value}"
        for field, value in change.changes.given().items()
        if field not in ("participants", "start")
    ]
    if change.start is not None:
        parts.append(f"start {output.when(change.start, change.changes.time_zone or zone)}")
    if change.participants is not None:
        listed = ", ".join(names.get(u, str(u)) for u in change.participants)
        parts.append(f"participants [{listed}]")
    return "; ".join(parts)


def show(found: list[changes.Change], names: dict[UUID, str], zone: str, as_json: bool) -> None:
    """The changes, their times in the rotation's zone `zone`."""
    output.listing(
        found,
        as_json,
        "scheduled changes",
        ("id", "effective at", "changes", "note", "applied at", "skipped"),
        lambda c: (
            c.id,
            output.when(c.effective_at, zone),
            _describe(c, names, zone),
            c.note,
            output.when(c.applied_at, zone),
            c.skipped,
        ),
    )


async def _names(conn: AsyncConnection[Any], found: list[changes.Change]) -> dict[UUID, str]:
    return await users.names(conn, list({u for c in found for u in c.participants or ()}))


Shown = tuple[list[changes.Change], dict[UUID, str], str]  # the changes, names, the zone


@app.command("add")
def add(
    rotation: RotationArg,
    at: Annotated[str, typer.Option("--at", help=f"When it takes effect: {TIME_HELP}")],
    type_: Annotated[str | None, typer.Option("--type", help="New grid type.")] = None,
    length: Annotated[int | None, typer.Option("--length", help="New shift length.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="New grid anchor.")] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="New time zone.")] = None,
    participants_: Annotated[
        str | None,
        typer.Option("--participants", help="New list: comma-separated names or ids."),
    ] = None,
    position: Annotated[
        int | None,
        typer.Option("--position", help="Hand the shift to this position (1 is the first)."),
    ] = None,
    active: ActiveOption = None,
    always: AlwaysFlag = False,
    turns: TurnsOption = None,
    note: Annotated[str, typer.Option("--note", help="Why (up to 500 characters).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Schedule a change to a rotation at --at (at least one of the other options)."""
    names = None if participants_ is None else [n.strip() for n in participants_.split(",")]
    if names == [""]:
        names = []
    windows = active_hours(active, always)

    async def body(conn: AsyncConnection[Any], settings: Settings) -> Shown:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        fields = changes.Fields(
            type=type_,
            shift_length=length,
            start=None if start is None else instant(start, "--start", zone or found.time_zone),
            time_zone=zone,
            participants=None if names is None else await user_ids(conn, names),
            active_index=None if position is None else positions.index_of(position, None),
            active_hours=None
            if windows is rotations.UNCHANGED
            else changes.ALWAYS
            if windows is None
            else windows,  # type: ignore[arg-type]
            turns=turns,
        )
        with positions.counted_from_one("changes.active_index"):
            created = await changes.create(
                conn,
                found.id,
                instant(at, "--at", found.time_zone),
                fields,
                note,
                limit=settings.max_participants,
            )
        return [created], await _names(conn, [created]), found.time_zone

    made, people, in_zone = run(body)
    show(made, people, in_zone, as_json)


@app.command("list")
def list_(
    rotation: RotationArg,
    pending: Annotated[
        bool | None,
        typer.Option("--pending/--applied", help="Only pending, or only applied (default: all)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """A rotation's scheduled changes by instant."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        listed = await every(
            lambda cursor: changes.list_changes(
                conn, found.id, limit=MAX_LIMIT, cursor=cursor, pending=pending
            )
        )
        return listed, await _names(conn, listed), found.time_zone

    listed, people, in_zone = run(body)
    show(listed, people, in_zone, as_json)


@app.command("delete")
def delete(change: Annotated[str, typer.Argument(help="Scheduled change id.")]) -> None:
    """Delete a pending change; one that has taken effect is history."""
    try:
        ident = UUID(change)
    except ValueError:
        fail(f"{change!r} is not a scheduled change id")

    async def body(conn: AsyncConnection[Any], _: Settings) -> None:
        current = await changes.find(conn, ident)
        await changes.delete(conn, current.rotation_id, ident)

    run(body)
    console.print(f"deleted scheduled change {ident}", highlight=False)
