"""`handoff user create|list|delete`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import console
from handoff.cli.run import run
from handoff.config import Settings
from handoff.store import clock, users
from handoff.store.pagination import MAX_LIMIT

app = typer.Typer(help="People who go on call.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]


async def all_users(conn: AsyncConnection[Any]) -> list[users.User]:
    found: list[users.User] = []
    cursor = None
    while True:
        page = await users.list_users(conn, limit=MAX_LIMIT, cursor=cursor)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


@app.command("create")
def create(
    name: str,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a user."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> users.User:
        return await users.create(conn, name, email, now=await clock.read(conn))

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
    if as_json:
        output.print_json([output.as_dict(u) for u in found])
        return
    output.table(
        "users",
        ("name", "email", "id", "created"),
        [(u.name, u.email, output.short(u.id), output.when(u.created_at)) for u in found],
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
