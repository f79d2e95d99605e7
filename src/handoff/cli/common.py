"""What every command shares: settings, the database, and user-facing errors (exit code 2)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NoReturn

import typer
from rich.console import Console

from handoff import logs
from handoff.config import ConfigError, Settings, load_settings
from handoff.embedded_pg import EmbeddedPostgresError
from handoff.store import db, migrate

console = Console()
err_console = Console(stderr=True)

USER_ERROR_EXIT_CODE = 2


def fail(message: str) -> NoReturn:
    """Print one clear line and exit with the user-error code; nothing has been changed."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(USER_ERROR_EXIT_CODE)


def settings() -> Settings:
    try:
        loaded = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    logs.configure(loaded)
    return loaded


@contextlib.contextmanager
def database(loaded: Settings, *, migrate_first: bool = True) -> Iterator[str]:
    """The database URL for a command, the embedded server started when needed."""
    try:
        with db.database(loaded) as url:
            if migrate_first:
                migrate.upgrade(url)
            yield url
    except EmbeddedPostgresError as exc:
        fail(str(exc))
