"""The one read of what decides who is on call: `handoff.oncall.Inputs`, for one rotation or
many, in one statement whatever their number (`read`).

Every reader of "who is on call" (the rotation object, /oncall, /shifts, /handoffs, the
feeds, the calendar and the web pages) reads its inputs here and asks the pure projection;
the write path reads the same overrides and changes under its lock (`state.lock`) and parses
them with the same functions (`override`, `change`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from handoff import hours, oncall, rotation
from handoff.store.queries import Queries

Q = Queries("inputs")
CHUNK_ROWS = 500  # rows decoded between two turns of the event loop


@dataclass(frozen=True, slots=True)
class Reading:
    """One rotation's inputs, as read at `now` (the engine's clock, in the same statement)."""

    rotation_id: UUID
    inputs: oncall.Inputs
    now: datetime


async def read(conn: AsyncConnection[Any], rotation_ids: Sequence[UUID] | None) -> list[Reading]:
    """The inputs of the given rotations (None: every rotation), by name, in one statement.

    Decoding 10,000 rows and building their inputs takes the best part of a second: the rows
    are decoded CHUNK_ROWS at a time, the event loop free between chunks, and the inputs built
    in a worker thread, so that a read of every rotation delays no other request (issue 24)."""
    ids = None if rotation_ids is None else list(rotation_ids)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["oncall_inputs"], {"rotation_ids": ids})
        rows = await fetch_in_chunks(cur)
    if len(rows) <= CHUNK_ROWS:
        return _readings(rows)
    return await asyncio.to_thread(_readings, rows)


async def fetch_in_chunks(cur: AsyncCursor[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row of the cursor's result, decoded CHUNK_ROWS at a time with a turn of the event
    loop between chunks (decoding needs no I/O, so it would otherwise never give one)."""
    rows: list[dict[str, Any]] = []
    while chunk := await cur.fetchmany(CHUNK_ROWS):
        rows.extend(chunk)
        await asyncio.sleep(0)
    return rows


def _readings(rows: list[dict[str, Any]]) -> list[Reading]:
    return [Reading(row["id"], _inputs(row), row["now"]) for row in rows]


def state(row: Mapping[str, Any]) -> rotation.State | None:
    """The state from a row with rotation_state's columns (all null: no state)."""
    if row["shift_start"] is None:
        return None
    return rotation.State(
        row["position"], row["participant_id"], row["shift_start"], row["first_shift"]
    )


def _inputs(row: dict[str, Any]) -> oncall.Inputs:
    members = tuple(
        rotation.Participant(pid, uid) for pid, uid in zip(row["ids"], row["user_ids"], strict=True)
    )
    return oncall.Inputs(
        config(row),
        state(row) if members else None,
        members,
        tuple(override(o) for o in as_json(row["overrides"], [])),
        tuple(change(c) for c in as_json(row["changes"], [])),
    )


def config(row: dict[str, Any]) -> oncall.Config:
    """A rotation row's grid fields and active hours (a row read without them: always)."""
    return oncall.Config(
        row["type"],
        row["shift_length"],
        row["start_at"],
        row["time_zone"],
        hours.parse_windows(as_json(row.get("active_hours"), None)),
        row.get("turns") or "active",
    )


def hours_json(windows: Sequence[hours.Window] | None) -> Jsonb | None:
    """Windows as the rotation's `active_hours` column stores them (SQL NULL: always)."""
    return None if windows is None else Jsonb(hours.windows_json(windows))


def as_json(value: Any, empty: Any) -> Any:
    """A JSON column as Python values (`empty` for SQL null)."""
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str) else value


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def override(o: dict[str, Any], caught_up_at: datetime | None = None) -> oncall.Override:
    """An override of handoff_oncall_inputs_v1's JSON.

    With `caught_up_at` (the engine's walk): one created since the rotation was last brought
    up to date, with a start already past, begins when it was created. The API's writes
    record their overrides themselves (their start is never before their making); this keeps
    a row written by plain SQL from being recorded backdated.
    """
    start, end, created = _time(o["start"]), _time(o["end"]), _time(o["created_at"])
    assert start is not None and end is not None and created is not None
    if caught_up_at is not None and created > caught_up_at:
        start = max(start, min(created, end))
    return oncall.Override(
        UUID(o["id"]), start, end, _uuid(o["user_id"]), _uuid(o["replaces_user_id"])
    )


def change(c: dict[str, Any]) -> oncall.ScheduledChange:
    """A pending scheduled change of handoff_oncall_inputs_v1's JSON."""
    at = _time(c["effective_at"])
    assert at is not None
    people = c["participants"]
    return oncall.ScheduledChange(
        UUID(c["id"]),
        at,
        type=c["type"],
        shift_length=c["shift_length"],
        start=_time(c["start"]),
        time_zone=c["time_zone"],
        participants=None if people is None else tuple(UUID(u) for u in people),
        active_index=c["active_index"],
        active_hours=(hours.parse_windows(c.get("active_hours")) or ())
        if c.get("sets_active_hours")
        else None,
        turns=c.get("turns"),
    )
