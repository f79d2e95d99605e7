"""The demo data's schedules (schedules.md): primary over secondary, and follow the sun over
Singapore, London and New York whose coverage lists the weeknight and weekend gaps."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

from psycopg import AsyncConnection

from handoff import demo
from handoff.store import clock, rotations, schedules


def test_demo_loads_primary_secondary_and_follow_the_sun(db_url: str) -> None:
    async def main() -> None:
        async with await AsyncConnection.connect(db_url, autocommit=True) as conn:
            assert await demo.load(conn, now=await clock.read(conn))
            now = await clock.read(conn)  # after the rotations started on the engine's clock
            assert not await demo.load(conn, now=now)  # once
            platform = await schedules.find(conn, "Demo: platform", now=now)
            primary = await rotations.find(conn, demo.ROTATIONS[0][0], now=now)
            assert platform.on_call_user_ids == [primary.on_call_user_id]
            sun = await schedules.find(conn, demo.SCHEDULES[1][0], now=now)
            assert len(sun.layers) == 3
            day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            monday = day + timedelta(days=7 - day.weekday())
            week = await schedules.coverage(conn, sun.id, monday, monday + timedelta(days=7))
            # New York's 17:00 to Singapore's 09:00 (01:00 UTC) each weeknight.
            evening = 22 if monday.month in (1, 2, 12) else 21  # EST or EDT
            night = (monday + timedelta(hours=evening), monday + timedelta(days=1, hours=1))
            assert night in week.gaps
            assert len(week.gaps) == 6  # Monday before 01:00, four nights, the weekend

    asyncio.run(main())
