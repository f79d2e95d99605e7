"""Demo data for `handoff up --demo`: a few people and a rotation of every type in several zones,
and two schedules (schedules.md): the platform's primary over its secondary, and a follow-the-sun
schedule of three business-hours rotations in Singapore, London and New York.

Loaded through the same store functions as the API, so demo rotations start exactly as real
ones do. Loading is idempotent: when the first demo rotation exists, nothing is added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from handoff.store import rotations, schedules, users
from handoff.store.errors import NotFound

PEOPLE = (
    ("Alice Martin", "alice@example.com"),
    ("Bashir Rahimi", "bashir@example.com"),
    ("Chen Wei", "chen@example.com"),
    ("Dana Okafor", "dana@example.com"),
    ("Eva Lindqvist", "eva@example.com"),
    ("Farid Haddad", "farid@example.com"),
)

# name, type, shift length, local start (year, month, day, hour), zone, participant indexes
ROTATIONS = (
    ("Demo: platform primary", "weekly", 1, (2026, 1, 5, 9), "Europe/Berlin", (0, 1, 2, 3)),
    ("Demo: platform secondary", "weekly", 2, (2026, 1, 5, 9), "Europe/Berlin", (3, 2, 1, 0)),
    ("Demo: database (8-hour shifts)", "hourly", 8, (2026, 1, 1, 6), "America/New_York", (1, 4, 5)),
    ("Demo: support desk", "daily", 1, (2026, 1, 1, 8), "America/Sao_Paulo", (2, 3, 4, 5)),
    ("Demo: follow the sun", "daily", 3, (2026, 1, 2, 9), "Australia/Sydney", (5, 0)),
    ("Demo: release captain", "monthly", 1, (2026, 1, 31, 10), "Asia/Tokyo", (4, 1, 0)),
)
# Follow the sun: each weekday 09:00-17:00 in its own zone (hours.md), stacked by priority.
WEEKDAYS_9_17 = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]
SUN = (
    ("Demo: APAC", "Asia/Singapore", (2, 5)),
    ("Demo: EMEA", "Europe/London", (3, 4)),
    ("Demo: AMER", "America/New_York", (1, 5)),
)
# name, zone, layers (rotation names, top first)
SCHEDULES = (
    ("Demo: platform", "Europe/Berlin", (ROTATIONS[0][0], ROTATIONS[1][0])),
    ("Demo: follow the sun (APAC, EMEA, AMER)", "UTC", tuple(name for name, _, _ in SUN)),
)
MAX_PARTICIPANTS = 1000


async def load(conn: AsyncConnection[Any], *, now: datetime) -> bool:
    """Add the demo users and rotations; False (and nothing added) if they are already there."""
    try:
        await rotations.find(conn, ROTATIONS[0][0], now=now)
        return False
    except NotFound:
        pass
    async with conn.transaction():
        people = [await users.create(conn, name, email, now=now) for name, email in PEOPLE]
        for name, type_, length, (year, month, day, hour), zone, members in ROTATIONS:
            start = datetime(year, month, day, hour, tzinfo=ZoneInfo(zone))
            config = rotations.Config(
                name=name,
                description=f"A demo {type_} rotation in {zone}.",
                type=type_,
                shift_length=length,
                start=start,
                time_zone=zone,
            )
            await rotations.create(
                conn, config, [people[i].id for i in members], limit=MAX_PARTICIPANTS
            )
        for name, zone, members in SUN:
            config = rotations.Config(
                name=name,
                description=f"Business hours in {zone}: one layer of the follow-the-sun demo.",
                type="weekly",
                start=datetime(2026, 1, 5, 9, tzinfo=ZoneInfo(zone)),
                time_zone=zone,
                active_hours=WEEKDAYS_9_17,
            )
            await rotations.create(
                conn, config, [people[i].id for i in members], limit=MAX_PARTICIPANTS
            )
        for name, zone, layers in SCHEDULES:
            ids = [(await rotations.find(conn, layer, now=now)).id for layer in layers]
            draft = schedules.Draft(name=name, time_zone=zone, combine="priority", layers=ids)
            await schedules.create(conn, draft, now=now)
    return True
