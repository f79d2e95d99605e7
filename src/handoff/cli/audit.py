"""`handoff audit`: the audit log (people.md), newest first, filtered like the API's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from psycopg import AsyncConnection

from handoff.cli import output
from handoff.cli.run import parse_time, run
from handoff.config import Settings
from handoff.store import audit, users
from handoff.store.pagination import MAX_LIMIT


def audit_log(
    object_type: Annotated[
        str | None, typer.Option("--object-type", help="rotation, override, user, token, ...")
    ] = None,
    object_id: Annotated[str | None, typer.Option("--object-id", help="The object's id.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only what this person did (name or id).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this time.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help=f"At most this many (1..{MAX_LIMIT}).")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=output.JSON_HELP)] = False,
) -> None:
    """Every write through the API, the UI, the CLI and the import: who, what, before, after."""
    start: datetime | None = None if since is None else parse_time(since, "--since")
    end: datetime | None = None if until is None else parse_time(until, "--until")

    async def body(conn: AsyncConnection[Any], _: Settings) -> list[audit.Entry]:
        actor = None if user is None else (await users.find(conn, user)).id
        filters = audit.Filters(object_type, object_id, actor, start, end)
        return (await audit.entries(conn, filters, limit=limit)).items

    entries = run(body)
    output.listing(
        entries,
        as_json,
        "audit",
        ("at", "who", "via", "action", "object", "route"),
        lambda e: (
            output.when(e.at),
            e.actor_name,
            e.via,
            e.action,
            e.object_id,
            e.route,
        ),
    )
