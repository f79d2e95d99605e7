"""A GoAlert deployment, made the way GoAlert makes it: rows inserted, and GoAlert's triggers
deciding positions and starting states; states then moved as GoAlert's engine moves them
(RotMgrUpdate: a new participant and shift_start)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from handoff.grid import Grid

from .conftest import GOALERT_TABLES

Conn = psycopg.Connection[dict[str, Any]]


def user(conn: Conn, name: str, email: str = "") -> UUID:
    row = conn.execute(
        "INSERT INTO users (id, name, email) VALUES (gen_random_uuid(), %s, %s) RETURNING id",
        (name, email),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def rotation(
    conn: Conn, name: str, type_: str, length: int, start: str, zone: str, description: str = ""
) -> UUID:
    row = conn.execute(
        "INSERT INTO rotations (name, description, type, shift_length, start_time, time_zone)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (name, description, type_, length, start, zone),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def add(conn: Conn, rotation_id: UUID, user_id: UUID) -> UUID:
    """A participant, positioned by GoAlert's trigger (the first starts the state)."""
    row = conn.execute(
        "INSERT INTO rotation_participants (rotation_id, user_id) VALUES (%s, %s) RETURNING id",
        (rotation_id, user_id),
    ).fetchone()
    assert row
    return UUID(str(row["id"]))


def set_state(
    conn: Conn, rotation_id: UUID, participant_id: UUID, shift_start: datetime, version: int = 2
) -> None:
    conn.execute(
        "UPDATE rotation_state SET rotation_participant_id = %s, shift_start = %s, version = %s"
        " WHERE rotation_id = %s",
        (participant_id, shift_start, version, rotation_id),
    )


def dump(conn: Conn) -> dict[str, list[str]]:
    """Every row of GoAlert's tables, as text: to show the import wrote nothing there."""
    query = "SELECT t::text AS row FROM {} t ORDER BY 1"
    return {
        table: [r["row"] for r in conn.execute(query.format(table))]  # tables named above
        for table in GOALERT_TABLES
    }


def state(conn: Conn, rotation_id: UUID) -> dict[str, Any]:
    row = conn.execute(
        "SELECT rotation_participant_id, position, shift_start, version FROM rotation_state"
        " WHERE rotation_id = %s",
        (rotation_id,),
    ).fetchone()
    assert row
    return row


@dataclass
class World:
    now: datetime
    users: dict[str, UUID] = field(default_factory=dict)
    rotations: dict[str, UUID] = field(default_factory=dict)
    sales_next_year: int = 0  # the year of Sales's next handoff (leap_day_rotation)
    participants: dict[str, list[UUID]] = field(default_factory=dict)

    def grid(self, conn: Conn, name: str) -> Grid:
        row = conn.execute(
            "SELECT type::text, shift_length, start_time, time_zone FROM rotations WHERE id = %s",
            (self.rotations[name],),
        ).fetchone()
        assert row
        start = row["start_time"].replace(second=0, microsecond=0)
        return Grid(row["type"], row["shift_length"], start, row["time_zone"])


STALE_BOUNDARIES = 5


def leap_day_rotation(now: datetime) -> tuple[int, str, int]:
    """A monthly rotation begun on a Feb 29 at 09:00 Berlin (08:00 UTC) whose next handoff
    after `now` falls on Feb 28 of a common year, where handoff clamps the day and GoAlert's
    Go date math overflows to Mar 1 (time-grid.md): (shift length in months, start, the year
    of that next handoff). Derived from `now`, so it holds in any year the test runs."""
    year = now.year if now < datetime(now.year, 2, 28, 8, tzinfo=UTC) else now.year + 1
    while calendar.isleap(year):
        year += 1
    leap = max(
        y
        for y in range(now.year - 4, now.year + 1)
        if calendar.isleap(y) and datetime(y, 2, 29, 8, tzinfo=UTC) <= now
    )
    return 12 * (year - leap), f"{leap}-02-29T09:00:00+01:00", year


def build(conn: Conn) -> World:
    """Every rotation type in several zones (DST ones among them); states at arbitrary
    instants and on grid points; an empty rotation; a person twice in one rotation; a stale
    state; a version-1 state; users with and without email (and one in no rotation)."""
    world = World(now=datetime.now(UTC))
    sales_length, sales_start, world.sales_next_year = leap_day_rotation(world.now)
    stale_anchor = (world.now - timedelta(hours=12)).replace(second=0, microsecond=0)
    world.users = {
        "Ann": user(conn, "Ann Lee", "ann@example.com"),
        "Bo": user(conn, "Bo Chen"),
        "Cy": user(conn, "Cy Diaz", "cy@example.com"),
        "Dee": user(conn, "Dee Eng", "dee@example.com"),
    }
    specs = {
        "Payments": ("weekly", 1, "2026-01-05T09:00:00+01:00", "Europe/Berlin", "Ann Bo Cy"),
        "Database": ("daily", 2, "2025-03-09T01:30:00-06:00", "America/Chicago", "Cy Ann"),
        "Edge": ("hourly", 3, "2025-10-05T00:00:00+10:30", "Australia/Lord_Howe", "Bo Cy"),
        "Sales": ("monthly", sales_length, sales_start, "Europe/Berlin", "Bo Ann"),
        "Empty": ("daily", 1, "2025-01-01T00:00:00Z", "UTC", ""),
        "Twice": ("daily", 1, "2025-01-01T08:00:00+03:30", "Asia/Tehran", "Ann Bo Ann"),
        # Daily, with its boundaries half a day from now, so no boundary passes mid-test.
        "Stale": ("daily", 1, stale_anchor.isoformat(), "UTC", "Ann Cy"),
        "Legacy": ("hourly", 2, "2025-06-01T00:00:00-03:00", "America/Sao_Paulo", "Bo Cy"),
    }
    for name, (type_, length, start, zone, people) in specs.items():
        rid = rotation(conn, name, type_, length, start, zone, f"the {name.lower()} rotation")
        world.rotations[name] = rid
        world.participants[name] = [add(conn, rid, world.users[p]) for p in people.split()]
    now = world.now
    payments = world.grid(conn, "Payments").start_time(now)
    arbitrary = payments + (now - payments) / 2 + timedelta(microseconds=123_457)
    set_state(conn, world.rotations["Payments"], world.participants["Payments"][1], arbitrary)
    database = world.grid(conn, "Database").start_time(now)
    set_state(conn, world.rotations["Database"], world.participants["Database"][0], database)
    twice = world.grid(conn, "Twice").start_time(now)
    set_state(conn, world.rotations["Twice"], world.participants["Twice"][2], twice)
    stale = stale_anchor - timedelta(days=STALE_BOUNDARIES, minutes=-7, microseconds=-345_678)
    set_state(conn, world.rotations["Stale"], world.participants["Stale"][0], stale)
    legacy = state(conn, world.rotations["Legacy"])
    set_state(
        conn,
        world.rotations["Legacy"],
        legacy["rotation_participant_id"],
        legacy["shift_start"],
        version=1,
    )
    return world
