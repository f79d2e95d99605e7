"""What read commands print: JSON with `--json` (times in UTC with Z), else a rich table.

Every cell is plain text (a name like `[red]x` is not markup) with control characters shown as
escapes. On a terminal a cell too long for the width folds onto the next line; piped into a file
or another program the table takes the width it needs, so no id is ever cut.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from handoff.cli.common import console
from handoff.cli.terminal import visible
from handoff.grid import load_zone

JSON_HELP = "Print JSON instead of a table."
T = TypeVar("T")
_UNBOUNDED = 100_000


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot print {type(value).__name__} as JSON")


def as_dict(item: Any) -> Any:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    return item


def print_json(data: Any) -> None:
    """JSON on stdout. json.dumps escapes C0 and (ASCII-only) C1 controls; DEL is ASCII, so it
    is escaped here, and no control character reaches the terminal raw."""
    typer.echo(json.dumps(data, default=_plain, indent=2).replace("\x7f", "\\u007f"))


@dataclasses.dataclass
class Options:
    """The root command's display options (`handoff --utc --wide ...`)."""

    utc: bool = False  # times in UTC rather than in the rotation's zone
    wide: bool = False  # full ids rather than their first eight characters


options = Options()
SHORT_ID = 8


def when(value: datetime | None, zone: str | None = None) -> str:
    """A time on the rotation's wall clock with its offset (`2026-12-07 09:00+01:00`), or in
    UTC (`2026-12-07 08:00Z`) with `--utc` or without a zone; seconds only when there are
    some."""
    if value is None:
        return ""
    local = value.astimezone(UTC if options.utc or zone is None else load_zone(zone))
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")
    offset = local.utcoffset() or timedelta()
    if not offset and (options.utc or zone is None):
        return shown + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{shown}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def short(value: UUID | str | None) -> str:
    """An id as tables show it: its first eight characters, the whole id with `--wide`."""
    if value is None:
        return ""
    return str(value) if options.wide else str(value)[:SHORT_ID]


def text(value: object) -> Text:
    """A value as plain text for the terminal: no markup, no raw control characters."""
    return Text("" if value is None else visible(value))


def person(names: dict[UUID, str], user_id: UUID | None, default: str) -> str:
    """A person's name in a table: `default` where the field names nobody, the id where the
    name is unknown."""
    return default if user_id is None else names.get(user_id, str(user_id))


def listing(
    found: Sequence[T],
    as_json: bool,
    title: str,
    columns: Sequence[str],
    row: Callable[[T], Sequence[object]],
) -> None:
    """What a list command prints: every field of each item with `--json`, else a table of
    `columns` whose cells `row` makes from an item."""
    if as_json:
        print_json([as_dict(item) for item in found])
        return
    table(title, columns, [row(item) for item in found])


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    grid = Table(title=text(title))
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(text(cell) for cell in row))
    if console.is_terminal:
        console.print(grid)
        return
    options = console.options.update_width(_UNBOUNDED)
    width = max(console.width, Measurement.get(console, options, grid).maximum)
    Console(width=width, file=console.file).print(grid)
