"""`handoff rotation create|list|show|edit|delete|add|remove|set-active`.

Rotations and users are named by name or id. Every change goes through the same store
functions as the API, so the same rules (and the same refusals) apply.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import typer
from psycopg import AsyncConnection

from handoff import hours
from handoff.cli import output, positions
from handoff.cli.common import console, fail
from handoff.cli.run import parse_time, run
from handoff.config import Settings
from handoff.store import clock, participants, rotations, users
from handoff.store.errors import NotFound
from handoff.store.pagination import MAX_LIMIT, every

app = typer.Typer(help="Rotations and their participants.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
RotationArg = Annotated[str, typer.Argument(help="Rotation name or id.")]
TypeOption = Annotated[str, typer.Option("--type", help="hourly, daily, weekly or monthly.")]
StartOption = Annotated[
    str,
    typer.Option(
        "--start",
        help="Grid anchor: wall time in --zone (2026-03-02T09:00), or with an offset or Z.",
    ),
]
ZoneOption = Annotated[str, typer.Option("--zone", help="IANA time zone, e.g. Europe/Berlin.")]
LengthOption = Annotated[int, typer.Option("--length", help="Shift length in type units.")]
ActiveOption = Annotated[
    list[str] | None,
    typer.Option(
        "--active",
        help="Active hours in the zone, e.g. 'mon-fri 09:00-17:00' or 'mon,wed 17:00-09:00'"
        " (the next day when the end is not after the start); repeatable.",
    ),
]
AlwaysFlag = Annotated[bool, typer.Option("--always", help="Always active (clears --active).")]
TurnsOption = Annotated[
    str | None,
    typer.Option("--turns", help="active (turns count active days; default) or calendar."),
]


def active_hours(active: list[str] | None, always: bool) -> object:
    """The --active and --always options as a PATCH's `active_hours` (UNCHANGED: neither)."""
    if active and always:
        fail("--active and --always: give one of them")
    if always:
        return None
    if not active:
        return rotations.UNCHANGED
    try:
        return [hours.parse_spec(text) for text in active]
    except hours.HoursError as exc:
        fail(f"--{exc}")


async def user_ids(conn: AsyncConnection[Any], names: list[str]) -> list[UUID]:
    return [(await users.find(conn, name)).id for name in names]


Described = tuple[rotations.Rotation, dict[UUID, str]]


async def described(conn: AsyncConnection[Any], rotation: rotations.Rotation) -> Described:
    """The rotation and its participants' names, for the table."""
    return rotation, await users.names(conn, [p.user_id for p in rotation.participants])


def show_rotation(shown: Described, as_json: bool) -> None:
    rotation, names = shown
    on_call = names.get(rotation.on_call_user_id) if rotation.on_call_user_id else None
    if as_json:
        output.print_json(output.as_dict(rotation))
        return
    zone = rotation.time_zone
    console.print(output.text(rotation.name), style="bold", end=f" ({rotation.id})\n")
    console.print(
        output.text(
            f"{rotation.type}, shift length {rotation.shift_length}, "
            f"start {output.when(rotation.start, zone)}, zone {zone}"
        ),
        highlight=False,
    )
    if rotation.active_index is None:
        on_call_line = "on call: nobody, no participants (no handoffs until someone is added)"
    else:
        on_call_line = (
            f"on call: {on_call or 'nobody'} since {output.when(rotation.shift_start, zone)}"
            f"; next handoff {output.when(rotation.next_handoff, zone)}"
        )
    console.print(output.text(on_call_line), highlight=False)
    windows = hours.parse_windows(rotation.active_hours)
    console.print(
        output.text(
            f"active: {hours.describe(windows, rotation.time_zone)}"
            + ("" if windows is None else f", turns counted over {rotation.turns} units")
        ),
        highlight=False,
    )
    output.table(
        "participants",
        ("position", "user", "user id", "participant id", "on call"),
        [
            (
                p.position + 1,
                names.get(p.user_id),
                output.short(p.user_id),
                output.short(p.id),
                "*" if p.position == rotation.active_index else "",
            )
            for p in rotation.participants
        ],
    )


@app.command("create")
def create(
    name: str,
    type_: TypeOption,
    start: StartOption,
    zone: ZoneOption,
    length: LengthOption = 1,
    description: Annotated[str, typer.Option(help="What the rotation is for.")] = "",
    participant: Annotated[
        list[str] | None, typer.Option("--participant", help="User name or id; repeatable.")
    ] = None,
    active: ActiveOption = None,
    turns: TurnsOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a rotation; the first participant is on call at once."""
    anchor = parse_time(start, "--start", zone)
    windows = active_hours(active, False)

    async def body(conn: AsyncConnection[Any], settings: Settings) -> Described:
        ids = await user_ids(conn, participant or [])
        config = rotations.Config(
            name=name,
            description=description,
            type=type_,
            shift_length=length,
            start=anchor,
            time_zone=zone,
            active_hours=None if windows is rotations.UNCHANGED else windows,
            turns=turns or "active",
        )
        created = await rotations.create(conn, config, ids, limit=settings.max_participants)
        return await described(conn, created)

    show_rotation(run(body), as_json)


@app.command("list")
def list_(
    search: Annotated[
        str | None, typer.Option("--search", help="Only rotations whose name contains this.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List rotations by name."""

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[list[rotations.Rotation], dict[UUID, str]]:
        now = await clock.read(conn)
        found = await every(
            lambda cursor: rotations.list_rotations(
                conn, now=now, limit=MAX_LIMIT, cursor=cursor, q=search
            )
        )
        on_call = [r.on_call_user_id for r in found if r.on_call_user_id]
        return found, await users.names(conn, on_call)

    found, names = run(body)
    output.listing(
        found,
        as_json,
        "rotations",
        ("name", "shift", "zone", "people", "on call", "next handoff"),
        lambda r: (
            r.name,
            r.type if r.shift_length == 1 else f"{r.type} x{r.shift_length}",
            r.time_zone,
            len(r.participants),
            names.get(r.on_call_user_id, "") if r.on_call_user_id else "",
            output.when(r.next_handoff, r.time_zone),
        ),
    )


@app.command("show")
def show(rotation: RotationArg, as_json: JsonFlag = False) -> None:
    """Show a rotation, its participants and who is on call."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Described:
        return await described(
            conn, await rotations.find(conn, rotation, now=await clock.read(conn))
        )

    show_rotation(run(body), as_json)


@app.command("edit")
def edit(
    rotation: RotationArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="New grid type.")] = None,
    length: Annotated[int | None, typer.Option("--length", help="New shift length.")] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", help="New grid anchor: wall time in the zone, or with an offset or Z."
        ),
    ] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="New time zone.")] = None,
    participants_: Annotated[
        str | None,
        typer.Option("--participants", help="Replace the list: comma-separated names or ids."),
    ] = None,
    active: ActiveOption = None,
    always: AlwaysFlag = False,
    turns: TurnsOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a rotation; a grid change keeps the person on call and restarts their shift."""
    names = None if participants_ is None else [n.strip() for n in participants_.split(",")]
    windows = active_hours(active, always)

    async def body(conn: AsyncConnection[Any], settings: Settings) -> Described:
        now = await clock.read(conn)
        found = await rotations.find(conn, rotation, now=now)
        anchor = None if start is None else parse_time(start, "--start", zone or found.time_zone)
        patch = rotations.Patch(
            name=name,
            description=description,
            type=type_,
            shift_length=length,
            start=anchor,
            time_zone=zone,
            participants=None if names is None else await user_ids(conn, names),
            active_hours=windows,
            turns=turns,
        )
        updated = await rotations.update(conn, found.id, patch, limit=settings.max_participants)
        return await described(conn, updated)

    show_rotation(run(body), as_json)


@app.command("delete")
def delete(rotation: RotationArg) -> None:
    """Delete a rotation and its history."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> rotations.Rotation:
        found = await rotations.find(conn, rotation, now=await clock.read(conn))
        await rotations.delete(conn, found.id)
        return found

    console.print(output.text(f"deleted rotation {run(body).name}"))


@app.command("add")
def add(rotation: RotationArg, user: Annotated[str, typer.Argument(help="Name or id.")]) -> None:
    """Append a participant; the first one goes on call at once."""

    async def body(conn: AsyncConnection[Any], settings: Settings) -> Described:
        now = await clock.read(conn)
        found = await rotations.find(conn, rotation, now=now)
        member = await users.find(conn, user)
        await participants.add(conn, found.id, member.id, limit=settings.max_participants)
        return await described(conn, await rotations.get(conn, found.id, now=now))

    show_rotation(run(body), False)


@app.command("remove")
def remove(
    rotation: RotationArg,
    participant: Annotated[
        str, typer.Argument(help="Participant id, or a user's name or id (their first place).")
    ],
) -> None:
    """Remove a participant; if they were on call, the next one takes the rest of the shift."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Described:
        now = await clock.read(conn)
        found = await rotations.find(conn, rotation, now=now)
        target = next((p for p in found.participants if str(p.id) == participant), None)
        if target is None:
            member = await users.find(conn, participant)
            target = next((p for p in found.participants if p.user_id == member.id), None)
        if target is None:
            raise NotFound(f"participant in {found.name}:", participant)
        await participants.remove(conn, found.id, target.id)
        return await described(conn, await rotations.get(conn, found.id, now=now))

    show_rotation(run(body), False)


@app.command("set-active")
def set_active(
    rotation: RotationArg,
    position: Annotated[
        int, typer.Argument(help="Position (1 is the first) of the participant to go on call.")
    ],
) -> None:
    """Hand the rest of the current shift to the participant at POSITION (as `show` lists)."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Described:
        now = await clock.read(conn)
        found = await rotations.find(conn, rotation, now=now)
        index = positions.index_of(position, len(found.participants))
        await participants.set_active(conn, found.id, index)
        return await described(conn, await rotations.get(conn, found.id, now=now))

    show_rotation(run(body), False)
