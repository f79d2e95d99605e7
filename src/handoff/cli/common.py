"""What every command shares: settings, the database, and user-facing errors (exit code 2)."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import NoReturn

import psycopg
import typer
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console
from rich.markup import escape

from handoff import logs
from handoff.cli.terminal import USER_ERROR_EXIT_CODE, one_line
from handoff.config import ConfigError, Settings, load_settings
from handoff.embedded_pg import EmbeddedPostgresError
from handoff.store import db

console = Console()
err_console = Console(stderr=True)

__all__ = ["USER_ERROR_EXIT_CODE", "console", "database", "err_console", "fail", "settings"]


def fail(message: str) -> NoReturn:
    """Print one clear line and exit with the user-error code; nothing has been changed."""
    err_console.print(
        f"[bold red]error:[/] {escape(one_line(message))}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(USER_ERROR_EXIT_CODE)


def settings() -> Settings:
    try:
        loaded = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    logs.configure(loaded)
    return loaded


_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/@]*):[^/]*@", re.IGNORECASE)


def _without_password(url: str) -> str:
    """The URL to show in an error: `postgresql://user@host/db`, never its password."""
    return _PASSWORD.sub(r"\1@", url)


def _driver_message(exc: BaseException) -> str:
    """The database driver's own words (SQLAlchemy wraps psycopg's error and adds a page)."""
    original = getattr(exc, "orig", None)
    return str(original if original is not None else exc) or type(exc).__name__


def _url_problem(url: str) -> str | None:
    """What libpq cannot read in the URL (without repeating it: it may hold a password)."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "expected postgresql://user@host:port/database"
    ports = str(parts.get("port") or "")
    bad = [p for p in ports.split(",") if p and not p.isdigit()]
    return f"the port must be a number, got {bad[0]!r}" if bad else None


@contextlib.contextmanager
def database(loaded: Settings, *, migrate_first: bool = True) -> Iterator[str]:
    """The database URL for a command, the embedded server started when needed.

    A database that does not exist or cannot be reached is one line and exit code 2, whether
    the migrations (SQLAlchemy) or the command (psycopg) meet it first.
    """
    from handoff.store import migrate

    if loaded.database_url:
        problem = _url_problem(loaded.database_url)
        if problem:
            where = _without_password(loaded.database_url)
            fail(f"HANDOFF_DATABASE_URL is not a database URL ({where}): {problem}")
    try:
        with db.database(loaded) as url:
            if migrate_first:
                migrate.upgrade(url, pooled=db.pooled(loaded))
            yield url
    except EmbeddedPostgresError as exc:
        fail(str(exc))
    except Exception as exc:
        if not _unreachable(exc):
            raise
        where = _without_password(loaded.database_url) if loaded.database_url else "embedded"
        fail(f"cannot use the database ({where}): {_driver_message(exc)}")


def _unreachable(exc: Exception) -> bool:
    """psycopg's OperationalError, or SQLAlchemy's when a migration met it (SQLAlchemy is only
    imported when a migration runs, so it is only looked at when it is loaded)."""
    if isinstance(exc, psycopg.OperationalError):
        return True
    if "sqlalchemy.exc" not in sys.modules:
        return False
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)
