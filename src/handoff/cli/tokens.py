"""`handoff token create|list|revoke`: API tokens, shown once at creation."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.common import console, fail
from handoff.cli.run import run
from handoff.config import Settings
from handoff.store import clock, tokens, users

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="A name to recognise the token by.")],
    role: Annotated[
        str | None,
        typer.Option("--role", help="A service token's: admin (read and write) or reader."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="A person (name or id): the token acts as them, with their role."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the token alone.")] = False,
) -> None:
    """Create a token and print it; it cannot be shown again."""
    if (role is None) == (user is None):
        fail("give --role (a service token) or --user (a person's token), not both")
    if role is not None and role not in tokens.ROLES:
        fail(f"--role must be admin or reader, got {role!r}")

    async def body(conn: AsyncConnection[Any], _: Settings) -> tuple[tokens.Token, str]:
        person = None if user is None else (await users.find(conn, user)).id
        return await tokens.create(conn, name, role, now=await clock.read(conn), user_id=person)

    token, secret = run(body)
    if quiet:
        typer.echo(secret)
        return
    kind = f"{token.role} token" if token.user_id is None else "token of a person"
    console.print(output.text(f"created {kind} {token.name!r}; it is shown only this once:"))
    typer.echo(secret)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help=output.JSON_HELP)] = False) -> None:
    """List tokens (never their secrets)."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[tokens.Token]:
        return await tokens.list_tokens(conn)

    found = run(body)
    output.listing(
        found,
        as_json,
        "tokens",
        ("name", "role", "created", "last used", "revoked"),
        lambda t: (
            t.name,
            t.role if t.user_id is None else f"{t.role or 'none'} (a person's)",
            output.when(t.created_at),
            output.when(t.last_used_at),
            output.when(t.revoked_at),
        ),
    )


@app.command("revoke")
def revoke(name: str) -> None:
    """Revoke a token by name: it stops working at once."""

    async def body(conn: AsyncConnection[Any], _: Settings) -> None:
        await tokens.revoke(conn, name, now=await clock.read(conn))

    run(body)
    console.print(output.text(f"revoked token {name!r}"))
