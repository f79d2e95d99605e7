"""`handoff user create|list|edit|delete`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import console, err_console
from handoff.cli.run import run
from handoff.config import Settings
from handoff.store import accounts, clock, lookup, passwords, text, users
from handoff.store.errors import Conflict, Invalid
from handoff.store.pagination import MAX_LIMIT, every

app = typer.Typer(help="People who go on call.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]


async def all_users(conn: AsyncConnection[Any]) -> list[users.User]:
    return await every(lambda cursor: users.list_users(conn, limit=MAX_LIMIT, cursor=cursor))


TimeZoneOption = Annotated[
    str | None, typer.Option("--time-zone", help="IANA zone of their nights and weekends.")
]


@app.command("create")
def create(
    name: str,
    email: Annotated[str | None, typer.Option(help="Email address (one person each).")] = None,
    time_zone: TimeZoneOption = None,
    allow_same_name: Annotated[
        bool,
        typer.Option("--allow-same-name", help="Create them though someone has this name."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a user (refused when someone has the name, ignoring case, unless allowed)."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> users.User:
        if not allow_same_name:
            await _refuse_namesake(conn, name)
        return await users.create(
            conn, name, email, now=await clock.read(conn), time_zone=time_zone
        )

    user = run(body)
    if as_json:
        output.print_json(output.as_dict(user))
    else:
        console.print(output.text(f"created user {user.name} ({user.id})"))


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List users by name."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[users.User]:
        return await all_users(conn)

    found = run(body)
    output.listing(
        found,
        as_json,
        "users",
        ("name", "email", "id", "created"),
        lambda u: (u.name, u.email, output.short(u.id), output.when(u.created_at)),
    )


@app.command("edit")
def edit(
    user: Annotated[str, typer.Argument(help="Name or id.")],
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help='New email ("" removes it).')] = None,
    time_zone: Annotated[
        str | None, typer.Option("--time-zone", help='New IANA zone ("" removes it).')
    ] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", help="admin, responder, reader or none (cannot sign in)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rename a user or change their email, time zone or role."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> users.User:
        found = await users.find(conn, user)
        async with conn.transaction():
            edited = await users.update(
                conn,
                found.id,
                name=name,
                email=email or None,
                clear_email=email == "",
                time_zone=time_zone or None,
                clear_time_zone=time_zone == "",
            )
            if role is None:
                return edited
            await accounts.set_role(conn, found.id, None if role == "none" else role)
            return await users.get(conn, found.id)

    edited = run(body)
    if as_json:
        output.print_json(output.as_dict(edited))
    else:
        console.print(output.text(f"edited user {edited.name} ({edited.id})"))


async def _refuse_namesake(conn: AsyncConnection[Any], name: str) -> None:
    """A Conflict naming someone who has this name; a malformed name is left to the store
    (whose refusal names every field at fault)."""
    try:
        checked = text.check("name", name, min_length=1, max_length=users.MAX_NAME, strip=True)
    except Invalid:
        return
    same = await lookup.named(conn, "user", checked)
    if same:
        ident, taken = same[0]
        raise Conflict(
            f"{taken} ({ident}) already has this name: "
            "pass --allow-same-name to create another person named so"
        )


@app.command("set-password")
def set_password(user: Annotated[str, typer.Argument(help="Name or id.")]) -> None:
    """Set a person's password for signing in to the web UI as themselves (with their email).

    The password is prompted for, twice, never taken from the command line (where others
    could read it)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def body(conn: AsyncConnection[Any], _: Settings) -> users.User:
        found = await users.find(conn, user)
        await passwords.set_password(conn, found.id, password, now=await clock.read(conn))
        return found

    done = run(body)
    console.print(output.text(f"set the password of {done.name} ({done.id})"))
    missing = [what for what, has in (("a role", done.role), ("an email", done.email)) if not has]
    if missing:
        lacking = " and ".join(missing)
        err_console.print(
            output.text(f"note: {done.name} cannot sign in without {lacking} (handoff user edit)")
        )


@app.command("delete")
def delete(user: Annotated[str, typer.Argument(help="Name or id.")]) -> None:
    """Delete a user: they leave every rotation; where they were on call, the next takes over."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> users.User:
        found = await users.find(conn, user)
        await users.delete(conn, found.id)
        return found

    deleted = run(body)
    console.print(output.text(f"deleted user {deleted.name} ({deleted.id})"))
