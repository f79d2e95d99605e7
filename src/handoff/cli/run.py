"""Run a store call from a command: settings, database, one connection, errors as one line.

The store functions are the same ones the API calls; a `StoreError` (unknown name, invalid
field, name taken) becomes `fail()`'s one line and exit code 2, after the store's transaction
has rolled back, so bad input changes nothing.
"""

from __future__ import annotations

import asyncio
import getpass
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from psycopg import AsyncConnection
from typer._click.globals import get_current_context

from handoff.cli import common
from handoff.config import Settings
from handoff.grid import load_zone, wall_instant
from handoff.store import audit, db
from handoff.store.errors import StoreError

T = TypeVar("T")
Body = Callable[[AsyncConnection[Any], Settings], Awaitable[T]]

# "Z" names an instant in UTC and claims nothing about the local offset (RFC 9557), so it may
# go with any --zone; a numeric offset is the zone's own reading and must be the zone's.
_UTC_DESIGNATOR = re.compile(r"[Zz]$")


def writer(via: audit.Via = "cli") -> audit.Writer:
    """The command's writes are audited as the OS user's, naming the command."""
    context = get_current_context(silent=True)
    command = context.command_path if context is not None else "handoff"
    return audit.Writer(via, command, getpass.getuser())


async def _call(url: str, loaded: Settings, body: Body[T], via: audit.Via) -> T:
    options = db.connection_options(db.pooled(loaded))
    async with await audit.Audited.connect(url, autocommit=True, **options) as conn:
        audit.act_as(conn, writer(via))
        return await body(conn, loaded)


def run(body: Body[T], *, via: audit.Via = "cli") -> T:
    """Run `body` on one connection whose writes are audited as this command's (`via`:
    "import" for the GoAlert import)."""
    loaded = common.settings()
    with common.database(loaded) as url:
        try:
            return asyncio.run(_call(url, loaded, body, via))
        except StoreError as exc:
            common.fail(str(exc))


def parse_time(value: str, option: str, zone: str | None = None) -> datetime:
    """A time from the command line: RFC 3339 with an offset (or Z), or, given a zone, a wall
    time in that zone (resolved like a grid boundary: a time in a DST gap is the first instant
    after the gap, a repeated time its first occurrence).

    With a zone, a numeric offset must be the zone's at that instant: `09:00+01:00` in
    Europe/Berlin in July is a mistake (Berlin is at +02:00 then), refused rather than guessed.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        common.fail(f"{option}: {value!r} is not a time like 2026-03-01T09:00:00+01:00")
    if zone is None:
        if parsed.tzinfo is None:
            common.fail(
                f"{option}: {value!r} needs a UTC offset (e.g. {value}Z or {value}+01:00) "
                "or a --zone to read it in"
            )
        return parsed
    try:
        local = load_zone(zone)
    except ValueError as exc:
        common.fail(f"--zone: {exc}")
    try:
        if parsed.tzinfo is None:
            return wall_instant(zone, parsed)
        expected = parsed.astimezone(local).utcoffset()
    except OverflowError:
        common.fail(f"{option}: {value!r} is out of range")
    if parsed.utcoffset() != expected and not _UTC_DESIGNATOR.search(value):
        at = parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        common.fail(
            f"{option}: the offset of {value!r} is not {zone}'s at that time "
            f"({_offset(expected)} at {at}); give the wall time without an offset"
        )
    return parsed


def _offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
