"""`handoff swap request|take|cancel|list`: asking a colleague to take part of a shift.

The command line acts as an admin: it names the person requesting or taking with --user.
Times are RFC 3339 with an offset, or wall times in the rotation's zone. The same store
functions as the API apply the same rules (people.md, "Swaps").
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import fail
from handoff.cli.run import run
from handoff.cli.times import TIME_HELP, window
from handoff.config import Settings
from handoff.store import clock, rotations, swaps, users
from handoff.store.pagination import MAX_LIMIT, every

app = typer.Typer(help="Shift swaps: ask for cover, take it, cancel.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
SwapArg = Annotated[str, typer.Argument(help="Swap id.")]
UserOpt = Annotated[str, typer.Option("--user", help="The person (name or id).")]


def swap_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        fail(f"{value!r} is not a swap id")


def show(found: list[swaps.Swap], as_json: bool) -> None:
    output.listing(
        found,
        as_json,
        "swaps",
        ("id", "rotation", "start", "end", "requester", "status", "taken by", "note"),
        lambda s: (
            s.id,
            s.rotation_name,
            output.when(s.start),
            output.when(s.end),
            s.requester_name,
            s.status,
            s.taker_name or "",
            s.note,
        ),
    )


@app.command("request")
def request(
    rotation: Annotated[str, typer.Argument(help="Rotation name or id.")],
    user: UserOpt,
    start: Annotated[str, typer.Option("--start", help=f"From: {TIME_HELP}")],
    end: Annotated[str, typer.Option("--end", help=f"To: {TIME_HELP}")],
    note: Annotated[str, typer.Option("--note", help="Why (up to 500 characters).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """--user asks for cover from --start to --end of their own shift in ROTATION."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[swaps.Swap]:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        requester = (await users.find(conn, user)).id
        begin, finish = window(start, end, found.time_zone)
        return [await swaps.request(conn, found.id, requester, begin, finish, note)]

    show(run(body), as_json)


@app.command("take")
def take(swap: SwapArg, user: UserOpt, as_json: JsonFlag = False) -> None:
    """--user takes an open swap: an override puts them on call instead of the requester."""
    ident = swap_id(swap)

    async def body(conn: AsyncConnection[Any], settings: Settings) -> list[swaps.Swap]:
        taker = (await users.find(conn, user)).id
        return [await swaps.take(conn, ident, taker, limit=settings.max_overrides)]

    show(run(body), as_json)


@app.command("cancel")
def cancel(swap: SwapArg, as_json: JsonFlag = False) -> None:
    """Cancel an open swap, or a taken one whose cover has not started (its override goes)."""
    ident = swap_id(swap)

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[swaps.Swap]:
        return [await swaps.cancel(conn, ident)]

    show(run(body), as_json)


@app.command("list")
def list_(
    rotation: Annotated[
        str | None, typer.Argument(help="Rotation name or id (default: every rotation).")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Those this person requested or took.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open, taken, cancelled or expired.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Swaps by start."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[swaps.Swap]:
        rotation_id = None
        if rotation is not None:
            rotation_id = (await rotations.find(conn, rotation, now=await clock.read(conn))).id
        user_id = None if user is None else (await users.find(conn, user)).id
        return await every(
            lambda cursor: swaps.list_swaps(
                conn,
                limit=MAX_LIMIT,
                cursor=cursor,
                status=status,
                rotation_id=rotation_id,
                user_id=user_id,
            )
        )

    show(run(body), as_json)
