"""`handoff schedule create|list|show|edit|delete|coverage` and `handoff schedule layer
add|remove|move`: rotations stacked into one final answer (schedules.md).

Schedules and rotations are named by name or id, people shown by name. The same store
functions as the API apply the same rules (one write path, history recorded at the request).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import typer
from psycopg import AsyncConnection

from handoff import schedule_layers
from handoff.cli import output
from handoff.cli.common import console, fail
from handoff.cli.run import parse_time, run
from handoff.config import Settings
from handoff.schedules import Coverage
from handoff.store import clock, rotations, schedules, users
from handoff.store.pagination import MAX_LIMIT, every

app = typer.Typer(help="Schedules: rotations stacked into one final on-call.", no_args_is_help=True)
layer_app = typer.Typer(help="The layers of a schedule, top first.", no_args_is_help=True)
app.add_typer(layer_app, name="layer")
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
ScheduleArg = Annotated[str, typer.Argument(help="Schedule name or id.")]
RotationArg = Annotated[str, typer.Argument(help="Rotation name or id.")]
COMBINE_HELP = "priority (the top layer with someone wins) or union (everyone on call)."

Shown = tuple[schedules.Schedule, dict[UUID, str], dict[UUID, str]]


async def _shown(conn: AsyncConnection[Any], found: schedules.Schedule) -> Shown:
    """The schedule with its rotations' and people's names."""
    now = await clock.read(conn)
    names = {
        layer.rotation_id: (await rotations.get(conn, layer.rotation_id, now=now)).name
        for layer in found.layers
    }
    return found, names, await users.names(conn, found.on_call_user_ids)


def _show(shown: Shown, as_json: bool) -> None:
    found, rotation_names, people = shown
    if as_json:
        output.print_json(output.as_dict(found))
        return
    on_call = ", ".join(people.get(u, str(u)) for u in found.on_call_user_ids) or "nobody"
    output.table(
        f"schedule {found.name} ({found.combine}, {found.time_zone}): on call now {on_call}; "
        f"next change {output.when(found.next_change_at, found.time_zone)}",
        ("position", "rotation", "rotation id"),
        [
            (layer.position, rotation_names[layer.rotation_id], layer.rotation_id)
            for layer in found.layers
        ],
    )


async def _rotation_ids(conn: AsyncConnection[Any], names: list[str]) -> list[UUID]:
    now = await clock.read(conn)
    return [(await rotations.find(conn, name, now=now)).id for name in names]


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The schedule's name.")],
    layers: Annotated[
        list[str], typer.Option("--layer", help="A rotation (name or id); repeat, top first.")
    ],
    combine: Annotated[str, typer.Option("--combine", help=COMBINE_HELP)] = "priority",
    zone: Annotated[str, typer.Option("--zone", help="IANA time zone for display.")] = "UTC",
    description: Annotated[str, typer.Option("--description")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a schedule of rotations stacked as layers, the first --layer on top."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        draft = schedules.Draft(
            name=name,
            time_zone=zone,
            combine=combine,
            layers=await _rotation_ids(conn, layers),
            description=description,
        )
        return await _shown(conn, await schedules.create(conn, draft, now=await clock.read(conn)))

    _show(run(body), as_json)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Schedules by name, with who is on call now."""

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[list[schedules.Schedule], dict[UUID, str]]:
        now = await clock.read(conn)
        found = await every(
            lambda cursor: schedules.list_schedules(conn, now=now, limit=MAX_LIMIT, cursor=cursor)
        )
        people = {u for s in found for u in s.on_call_user_ids}
        return found, await users.names(conn, list(people))

    found, people = run(body)
    output.listing(
        found,
        as_json,
        "schedules",
        ("name", "combine", "layers", "on call now", "next change"),
        lambda s: (
            s.name,
            s.combine,
            len(s.layers),
            ", ".join(people.get(u, str(u)) for u in s.on_call_user_ids) or "nobody",
            output.when(s.next_change_at, s.time_zone),
        ),
    )


@app.command("show")
def show(schedule: ScheduleArg, as_json: JsonFlag = False) -> None:
    """A schedule's layers and who is on call now."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        return await _shown(conn, await schedules.find(conn, schedule, now=await clock.read(conn)))

    _show(run(body), as_json)


@app.command("edit")
def edit(
    schedule: ScheduleArg,
    name: Annotated[str | None, typer.Option("--name")] = None,
    combine: Annotated[str | None, typer.Option("--combine", help=COMBINE_HELP)] = None,
    zone: Annotated[str | None, typer.Option("--zone")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a schedule's name, combine, zone or description."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        edited = await schedules.update(
            conn,
            found.id,
            now=now,
            name=name,
            combine=combine,
            time_zone=zone,
            description=description,
        )
        return await _shown(conn, edited)

    _show(run(body), as_json)


@app.command("delete")
def delete(schedule: ScheduleArg) -> None:
    """Delete a schedule (its rotations stay)."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> str:
        found = await schedules.find(conn, schedule, now=await clock.read(conn))
        await schedules.delete(conn, found.id)
        return found.name

    console.print(f"deleted schedule {run(body)}")


@app.command("coverage")
def coverage(
    schedule: ScheduleArg,
    since: Annotated[str | None, typer.Option("--since", help="RFC 3339 (default: now).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=52, help="How many weeks.")] = 4,
    as_json: JsonFlag = False,
) -> None:
    """The gaps (nobody on call), overlaps (union) and clock-change weeks of the coming weeks."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> tuple[schedules.Schedule, Coverage]:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        start = now if since is None else parse_time(since, "--since")
        return found, await schedules.coverage(
            conn, found.id, start, start + timedelta(weeks=weeks)
        )

    found, covered = run(body)
    if as_json:
        output.print_json(output.as_dict(covered))
        return
    zone = found.time_zone
    rows = [("gap", output.when(s, zone), output.when(e, zone), "") for s, e in covered.gaps]
    rows += [
        ("overlap", output.when(s, zone), output.when(e, zone), str(len(u)) + " people")
        for s, e, u in covered.overlaps
    ]
    rows += [
        ("clocks change", output.when(w.start, zone), "", ", ".join(w.zones))
        for w in covered.clock_change_weeks
    ]
    output.table(f"coverage of {found.name}", ("what", "from", "until", ""), rows)


async def _relayer(conn: AsyncConnection[Any], schedule: str, change: Any) -> Shown:
    now = await clock.read(conn)
    found = await schedules.find(conn, schedule, now=now)
    layers = [layer.rotation_id for layer in found.layers]
    new = await change(conn, layers)
    return await _shown(conn, await schedules.update(conn, found.id, now=now, layers=new))


@layer_app.command("add")
def layer_add(
    schedule: ScheduleArg,
    rotation: RotationArg,
    position: Annotated[
        int | None, typer.Option("--position", min=0, help="0 is the top (default: the bottom).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a rotation as a layer."""

    async def change(conn: AsyncConnection[Any], layers: list[UUID]) -> list[UUID]:
        (added,) = await _rotation_ids(conn, [rotation])
        return schedule_layers.added(layers, added, position)

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        return await _relayer(conn, schedule, change)

    _show(run(body), as_json)


@layer_app.command("remove")
def layer_remove(schedule: ScheduleArg, rotation: RotationArg, as_json: JsonFlag = False) -> None:
    """Remove a rotation's layer (recorded if it changes who is on call)."""

    async def change(conn: AsyncConnection[Any], layers: list[UUID]) -> list[UUID]:
        (gone,) = await _rotation_ids(conn, [rotation])
        return schedule_layers.removed(layers, gone)

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        return await _relayer(conn, schedule, change)

    _show(run(body), as_json)


@layer_app.command("move")
def layer_move(
    schedule: ScheduleArg,
    rotation: RotationArg,
    position: Annotated[int, typer.Option("--position", min=0, help="0 is the top.")],
    as_json: JsonFlag = False,
) -> None:
    """Move a rotation's layer to another position."""

    async def change(conn: AsyncConnection[Any], layers: list[UUID]) -> list[UUID]:
        (moved,) = await _rotation_ids(conn, [rotation])
        return schedule_layers.moved(layers, moved, position)

    async def body(conn: AsyncConnection[Any], _: Settings) -> Shown:
        return await _relayer(conn, schedule, change)

    _show(run(body), as_json)


def print_oncall(schedule: str, at: datetime | None, as_json: bool) -> None:
    """`handoff oncall --schedule NAME`: the schedule's final on-call at `at` (default now)."""

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[schedules.Schedule, datetime, list[UUID], dict[UUID, str]]:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        when = now if at is None else at
        people = await schedules.oncall_at(conn, found.id, when)
        return found, when, people, await users.names(conn, people)

    found, when, people, names = run(body)
    if as_json:
        output.print_json({"at": when, "user_ids": people})
        return
    who = ", ".join(names.get(u, str(u)) for u in people) or "nobody (a gap)"
    console.print(f"{found.name} at {output.when(when, found.time_zone)}: {who}")


override_app = typer.Typer(help="A schedule's own overrides.", no_args_is_help=True)
app.add_typer(override_app, name="override")
TIME_HELP = "RFC 3339 with an offset (e.g. 2026-03-03T18:00:00+01:00)."


def _overrides_table(
    found: list[schedules.Override], names: dict[UUID, str], as_json: bool
) -> None:
    output.listing(
        found,
        as_json,
        "schedule overrides",
        ("id", "start", "end", "on call", "instead of", "note"),
        lambda o: (
            o.id,
            output.when(o.start),
            output.when(o.end),
            output.person(names, o.user_id, "—"),
            output.person(names, o.replaces_user_id, "—"),
            o.note,
        ),
    )


async def _named(
    conn: AsyncConnection[Any], found: list[schedules.Override]
) -> tuple[list[schedules.Override], dict[UUID, str]]:
    people = {u for o in found for u in (o.user_id, o.replaces_user_id) if u is not None}
    return found, await users.names(conn, list(people))


@override_app.command("add")
def override_add(
    schedule: ScheduleArg,
    start: Annotated[str, typer.Option("--start", help=f"When it starts: {TIME_HELP}")],
    end: Annotated[str, typer.Option("--end", help=f"When it ends: {TIME_HELP}")],
    user: Annotated[str | None, typer.Option("--user", help="Who is added or on call.")] = None,
    replaces: Annotated[
        str | None, typer.Option("--replaces", help="Who is replaced (or, alone, removed).")
    ] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    as_json: JsonFlag = False,
) -> None:
    """--user adds someone (priority: puts them on call instead); with --replaces they replace
    that person; --replaces alone removes that person; neither: nobody is on call."""
    begins, ends = parse_time(start, "--start"), parse_time(end, "--end")

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[list[schedules.Override], dict[UUID, str]]:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        user_id = None if user is None else (await users.find(conn, user)).id
        replaced = None if replaces is None else (await users.find(conn, replaces)).id
        draft = schedules.OverrideDraft(begins, ends, user_id, replaced, note)
        return await _named(conn, [await schedules.create_override(conn, found.id, draft, now=now)])

    _overrides_table(*run(body), as_json)


@override_app.command("list")
def override_list(schedule: ScheduleArg, as_json: JsonFlag = False) -> None:
    """The schedule's overrides that have not ended."""

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[list[schedules.Override], dict[UUID, str]]:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        listed = await schedules.list_overrides(conn, found.id, now=now, limit=MAX_LIMIT)
        return await _named(conn, listed)

    _overrides_table(*run(body), as_json)


def _override_id(override: str) -> UUID:
    try:
        return UUID(override)
    except ValueError:
        fail(f"{override!r} is not an override id")


async def _person(
    conn: AsyncConnection[Any], name: str | None, clear: bool, kept: UUID | None
) -> UUID | None:
    """An edited override's person: the one named, none if cleared, else the one it had."""
    if name is not None:
        return (await users.find(conn, name)).id
    return None if clear else kept


@override_app.command("edit")
def override_edit(
    schedule: ScheduleArg,
    override: Annotated[str, typer.Argument(help="Override id.")],
    start: Annotated[str | None, typer.Option("--start", help=f"New start: {TIME_HELP}")] = None,
    end: Annotated[str | None, typer.Option("--end", help=f"New end: {TIME_HELP}")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Who is added or on call (name or id).")
    ] = None,
    nobody: Annotated[
        bool, typer.Option("--nobody", help="No one added or put on call (no --user).")
    ] = False,
    replaces: Annotated[
        str | None, typer.Option("--replaces", help="Who is replaced (or, alone, removed).")
    ] = None,
    unconditional: Annotated[
        bool, typer.Option("--unconditional", help="Nobody in particular replaced.")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="New note.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an override: a future one anything, one in force only --end and --note; what
    is not given stays."""
    if user is not None and nobody:
        fail("give either --user or --nobody, not both")
    if replaces is not None and unconditional:
        fail("give either --replaces or --unconditional, not both")
    given = (start, end, user, replaces, note)
    if all(v is None for v in given) and not (nobody or unconditional):
        fail("nothing to change: give --start, --end, --user, --nobody, --replaces, ...")
    ident = _override_id(override)
    begins = None if start is None else parse_time(start, "--start")
    ends = None if end is None else parse_time(end, "--end")

    async def body(
        conn: AsyncConnection[Any], _: Settings
    ) -> tuple[list[schedules.Override], dict[UUID, str]]:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        current = await schedules.get_override(conn, found.id, ident)
        draft = schedules.OverrideDraft(
            current.start if begins is None else begins,
            current.end if ends is None else ends,
            await _person(conn, user, nobody, current.user_id),
            await _person(conn, replaces, unconditional, current.replaces_user_id),
            current.note if note is None else note,
        )
        edited = await schedules.update_override(conn, found.id, ident, draft, now=now)
        return await _named(conn, [edited])

    _overrides_table(*run(body), as_json)


def _remove(schedule: str, override: str, *, in_force: bool) -> None:
    override_id = _override_id(override)

    async def body(conn: AsyncConnection[Any], _: Settings) -> None:
        now = await clock.read(conn)
        found = await schedules.find(conn, schedule, now=now)
        current = await schedules.get_override(conn, found.id, override_id)
        if in_force and current.start > now:
            fail("the override has not started: delete it instead")
        if not in_force and current.start <= now < current.end:
            fail("the override is in force: end it instead")
        await schedules.delete_override(conn, found.id, override_id, now=now)

    run(body)
    console.print(("ended" if in_force else "deleted") + f" override {override_id}")


@override_app.command("end")
def override_end(
    schedule: ScheduleArg, override: Annotated[str, typer.Argument(help="Override id.")]
) -> None:
    """End an override in force now (recorded at this instant)."""
    _remove(schedule, override, in_force=True)


@override_app.command("delete")
def override_delete(
    schedule: ScheduleArg, override: Annotated[str, typer.Argument(help="Override id.")]
) -> None:
    """Delete an override that has not started."""
    _remove(schedule, override, in_force=False)
