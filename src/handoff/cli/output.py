"""What read commands print: JSON with `--json` (times in UTC with Z), else a rich table.

Every cell is plain text (a name like `[red]x` is not markup) with control characters shown as
escapes. On a terminal a cell too long for the width folds onto the next line; piped into a file
or another program the table takes the width it needs, so no id is ever cut.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from handoff.cli.common import console
from handoff.cli.terminal import visible

JSON_HELP = "Print JSON instead of a table."
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


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def text(value: object) -> Text:
    """A value as plain text for the terminal: no markup, no raw control characters."""
    return Text("" if value is None else visible(value))


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
