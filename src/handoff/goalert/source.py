"""Read GoAlert's database: one READ ONLY, REPEATABLE READ transaction, never a write.

Before reading, it checks that the database is GoAlert's (its four tables and its migration
table), that GoAlert's schema is recent enough (the migrations whose columns the import
reads), and that every column read exists. Each refusal is one line (`SourceError`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff.goalert.model import Rotation, Snapshot, State, User
from handoff.rotation import Participant
from handoff.store.queries import Queries

Q = Queries("goalert")
CONNECT_TIMEOUT_SECONDS = 10

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "name", "email"),
    "rotations": ("id", "name", "description", "type", "shift_length", "start_time", "time_zone"),
    "rotation_participants": ("id", "rotation_id", "position", "user_id"),
    "rotation_state": (
        "rotation_id",
        "position",
        "rotation_participant_id",
        "shift_start",
        "version",
    ),
}
MIGRATION_TABLE = "gorp_migrations"
# The GoAlert migrations whose schema the import relies on, oldest first; the last one is
# GoAlert v0.33's, the oldest release supported (import.md). Each is recorded in
# gorp_migrations under its id, which GoAlert's migrate package takes from the migration's file
# name, .sql included (every GoAlert release has written it so; its own migrate refuses a
# database whose ids are not its file names).
MIGRATIONS = (
    "20210309144821-rotation-module-update.sql",  # rotation_state.version
    "20230911153243-add-monthly-rotation.sql",  # monthly rotations
    "20241108172231-signals-limit-fix.sql",  # GoAlert v0.33
)


class SourceError(Exception):
    """GoAlert's database cannot be read as asked; the message is one line for the user."""


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def read(url: str) -> Snapshot:
    """GoAlert's rotations, participants, states and the users in them, in one snapshot."""
    try:
        conn = await AsyncConnection.connect(
            url,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="handoff import",
            row_factory=dict_row,
        )
    except psycopg.Error as exc:
        raise SourceError(f"cannot connect to GoAlert's database: {_line(exc)}") from None
    async with conn:
        await conn.set_read_only(True)
        await conn.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
        try:
            async with conn.transaction(force_rollback=True):
                await _check_schema(conn)
                return await _snapshot(conn)
        except psycopg.Error as exc:
            raise SourceError(f"cannot read GoAlert's database: {_line(exc)}") from None


async def _rows(conn: AsyncConnection[Any], name: str, **args: Any) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q[name], args)
        return await cur.fetchall()


async def _check_schema(conn: AsyncConnection[Any]) -> None:
    wanted = [*COLUMNS, MIGRATION_TABLE]
    found = {row["name"] for row in await _rows(conn, "goalert_tables", tables=wanted)}
    missing = [table for table in wanted if table not in found]
    if missing:
        raise SourceError(f"not a GoAlert database: it has no table {missing[0]}")
    ran = {row["id"] for row in await _rows(conn, "goalert_migrations", ids=list(MIGRATIONS))}
    for migration in MIGRATIONS:
        if migration not in ran:
            raise SourceError(
                f"GoAlert's schema is older than supported (v0.33 or later): "
                f"migration {migration} has not run"
            )
    columns = {
        (row["table_name"], row["column_name"])
        for row in await _rows(conn, "goalert_columns", tables=list(COLUMNS))
    }
    for table, names in COLUMNS.items():
        for column in names:
            if (table, column) not in columns:
                raise SourceError(f"GoAlert's table {table} has no column {column}")


async def _snapshot(conn: AsyncConnection[Any]) -> Snapshot:
    now = (await _rows(conn, "goalert_now"))[0]["now"]
    participants: dict[UUID, list[Participant]] = defaultdict(list)
    for row in await _rows(conn, "goalert_participants"):
        participants[row["rotation_id"]].append(Participant(row["id"], row["user_id"]))
    states = {
        row["rotation_id"]: State(
            row["position"], row["rotation_participant_id"], row["shift_start"], row["version"]
        )
        for row in await _rows(conn, "goalert_states")
    }
    rotations = tuple(
        Rotation(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            type=row["type"],
            shift_length=row["shift_length"],
            start=row["start_time"],
            time_zone=row["time_zone"],
            participants=tuple(participants.get(row["id"], ())),
            state=states.get(row["id"]),
        )
        for row in await _rows(conn, "goalert_rotations")
    )
    users = {
        row["id"]: User(row["id"], row["name"], row["email"])
        for row in await _rows(conn, "goalert_users")
    }
    return Snapshot(now, rotations, users)
