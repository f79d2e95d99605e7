"""`handoff override add|list|edit|end|delete`: someone else (or nobody) on call for a while.

Times are RFC 3339 with an offset, or wall times in the rotation's zone (a time in a DST gap is
the first instant after it, a repeated time its first occurrence). Overrides are named by id;
people by name or id. The same store functions as the API apply the same rules.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import console, fail
from handoff.cli.run import run
from handoff.cli.times import TIME_HELP, instant, window
from handoff.config import Settings
from handoff.store import clock, overrides, rotations, users
from handoff.store.pagination import MAX_LIMIT, every

app = typer.Typer(help="Overrides: who covers whom, when.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
RotationArg = Annotated[str, typer.Argument(help="Rotation name or id.")]
OverrideArg = Annotated[str, typer.Argument(help="Override id.")]


def override_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        fail(f"{value!r} is not an override id")


async def _user(conn: AsyncConnection[Any], name: str | None) -> UUID | None:
    return None if name is None else (await users.find(conn, name)).id


Shown = tuple[list[overrides.Override], dict[UUID, str], dict[UUID, rotations.Rotation]]


async def _named(conn: AsyncConnection[Any], found: list[overrides.Override]) -> Shown:
    """The overrides with their people's and rotations' names, for the table."""
    people = {o.user_id for o in found} | {o.replaces_user_id for o in found}
    names = await users.names(conn, [p for p in people if p is not None])
    now = await clock.read(conn)
    shown = {rid: await rotations.get(conn, rid, now=now) for rid in {o.rotation_id for o in found}}
    return found, names, shown


def show(shown: Shown, as_json: bool) -> None:
    found, names, in_rotation = shown
    output.listing(
        found,
        as_json,
        "overrides",
        ("id", "rotation", "start", "end", "on call", "instead of", "note"),
        lambda o: (
            o.id,
            in_rotation[o.rotation_id].name,
            output.when(o.start, in_rotation[o.rotation_id].time_zone),
            output.when(o.end, in_rotation[o.rotation_id].time_zone),
            output.person(names, o.user_id, "nobody"),
            output.person(names, o.replaces_user_id, "anyone"),
            o.note,
        ),
    )


@app.command("add")
def add(
    rotation: RotationArg,
    start: Annotated[str, typer.Option("--start", help=f"When it starts: {TIME_HELP}")],
    end: Annotated[str, typer.Option("--end", help=f"When it ends: {TIME_HELP}")],
    user: Annotated[str | None, typer.Option("--user", help="Who covers (name or id).")] = None,
    nobody: Annotated[bool, typer.Option("--nobody", help="Nobody is on call.")] = False,
    replaces: Annotated[
        str | None,
        typer.Option("--replaces", help="Only while this person (name or id) would be on call."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Why (up to 500 characters).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Put someone else (--user) or nobody (--nobody) on call from --start to --end."""
    if (user is None) == (not nobody):
        fail("give either --user or --nobody")

    async def body(conn: AsyncConnection[Any], settings: Settings) -> Shown:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        begin, finish = window(start, end, found.time_zone)
        draft = overrides.Draft(
            start=begin,
            end=finish,
            user_id=await _user(conn, user),
            replaces_user_id=await _user(conn, replaces),
            note=note,
        )
        created = await overrides.create(conn, found.id, draft, limit=settings.max_overrides)
        return await _named(conn, [created])

    show(run(body), as_json)


@app.command("list")
def list_(
    rotation: Annotated[
        str | None, typer.Argument(help="Rotation name or id (default: every rotation).")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only those naming this person (name or id).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Those ending after this (default: now).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Those starting before this.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Overrides by start; by default those that have not ended."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        rotation_id, zone = None, None
        if rotation is not None:
            found = await rotations.find(conn, rotation, now=await clock.read(conn))
            rotation_id, zone = found.id, found.time_zone
        user_id = await _user(conn, user)
        after = None if since is None else instant(since, "--since", zone)
        before = None if until is None else instant(until, "--until", zone)
        listed = await every(
            lambda cursor: overrides.list_overrides(
                conn,
                limit=MAX_LIMIT,
                cursor=cursor,
                rotation_id=rotation_id,
                user_id=user_id,
                since=after,
                until=before,
            )
        )
        return await _named(conn, listed)

    show(run(body), as_json)


@app.command("edit")
def edit(
    override: OverrideArg,
    start: Annotated[str | None, typer.Option("--start", help=f"New start: {TIME_HELP}")] = None,
    end: Annotated[str | None, typer.Option("--end", help=f"New end: {TIME_HELP}")] = None,
    user: Annotated[str | None, typer.Option("--user", help="New cover (name or id).")] = None,
    nobody: Annotated[bool, typer.Option("--nobody", help="Nobody is on call.")] = False,
    replaces: Annotated[
        str | None, typer.Option("--replaces", help="Only while this person would be on call.")
    ] = None,
    unconditional: Annotated[
        bool, typer.Option("--unconditional", help="Whoever would be on call (no --replaces).")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="New note.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an override: a future one anything, one in force only --end and --note."""
    if user is not None and nobody:
        fail("give either --user or --nobody, not both")
    if replaces is not None and unconditional:
        fail("give either --replaces or --unconditional, not both")
    ident = override_id(override)

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        current = await overrides.find(conn, ident)
        zone = (
            await rotations.get(conn, current.rotation_id, now=await clock.read(conn))
        ).time_zone
        changes: dict[str, Any] = {}
        if start is not None:
            changes["start"] = instant(start, "--start", zone)
        if end is not None:
            changes["end"] = instant(end, "--end", zone)
        if user is not None or nobody:
            changes["user_id"] = await _user(conn, user)
        if replaces is not None or unconditional:
            changes["replaces_user_id"] = await _user(conn, replaces)
        if note is not None:
            changes["note"] = note
        if not changes:
            fail("nothing to change: give --start, --end, --user, --nobody, --replaces, ...")
        edited = await overrides.update(conn, current.rotation_id, ident, changes)
        return await _named(conn, [edited])

    show(run(body), as_json)


@app.command("end")
def end(override: OverrideArg) -> None:
    """End an override in force now (at this instant)."""
    ident = override_id(override)

    async def body(conn: AsyncConnection[Any], _: Settings) -> overrides.Override:
        current = await overrides.find(conn, ident)
        return await overrides.end(conn, current.rotation_id, ident)

    console.print(f"override {ident} ends at {output.when(run(body).end)}", highlight=False)


@app.command("delete")
def delete(override: OverrideArg) -> None:
    """Delete a future override, or end one in force now; an ended one is history."""
    ident = override_id(override)

    async def body(conn: AsyncConnection[Any], _: Settings) -> overrides.Override | None:
        current = await overrides.find(conn, ident)
        return await overrides.delete(conn, current.rotation_id, ident)

    ended = run(body)
    if ended is None:
        console.print(f"deleted override {ident}", highlight=False)
    else:
        console.print(
            f"override {ident} was in force: it ends at {output.when(ended.end)}",
            highlight=False,
        )
