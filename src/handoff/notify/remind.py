"""The worker's reminder pass: look at the reminder settings that are due, decide from the
projection (store.calendar, the API's own) and write the reminders' messages to the outbox.

Settings are leased while a worker looks at them, so any number of workers may run the pass.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from handoff.notify import reminders
from handoff.store import calendar, db
from handoff.store.queries import Queries

Q = Queries("notify_reminders")
BATCH = 100
LEASE = timedelta(seconds=60)


async def remind_due(pool: AsyncConnectionPool[Any]) -> int:
    """One pass over the due settings; returns how many reminders it decided to send.

    A fixed number of statements whatever the number of people due: the claim, one
    projection for all of them (over the longest window any of them needs: a longer window
    adds only shifts whose reminder time is past the next look), and one transaction that
    reads the people, writes the messages and reschedules the settings."""
    async with pool.connection() as conn:
        async with db.autocommit(conn), conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["claim_due"], {"limit": BATCH, "lease": LEASE})  # one statement
            claimed = await cur.fetchall()
        if not claimed:
            return 0
        now: datetime = claimed[0]["now"]  # one statement's clock: the same on every row
        by_user: dict[UUID, list[reminders.Setting]] = defaultdict(list)
        for row in claimed:
            setting = reminders.Setting(row["id"], timedelta(minutes=row["before_minutes"]))
            by_user[row["user_id"]].append(setting)
        window = max(reminders.window(settings) for settings in by_user.values())
        projection = await calendar.project(conn, now, now + window, people=list(by_user))
        pieces: dict[UUID, list[reminders.Piece]] = defaultdict(list)
        for s in projection.segments:
            if s.user_id is not None:
                pieces[s.user_id].append(
                    reminders.Piece(s.rotation_id, s.start, s.end, s.override_id, s.turn_start)
                )
        channels = {r["id"]: r["channel_id"] for r in claimed}
        messages: list[dict[str, Any]] = []
        next_look: dict[UUID, datetime] = {}
        async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["people"], {"user_ids": list(by_user)})
            people = {p["id"]: p for p in await cur.fetchall()}  # deleted meanwhile: absent
            for user_id, settings in by_user.items():
                due, looks = reminders.decide(settings, pieces[user_id], now)
                next_look |= looks
                if user_id in people:
                    messages.extend(
                        _message(d, channels, people[user_id], projection, now) for d in due
                    )
            await cur.execute(
                Q["send"],
                {
                    key: [m[key] for m in messages]
                    for key in ("channel_id", "rotation_id", "event_at", "payload", "dedup_key")
                },
            )
            sent: int = cur.rowcount
            kept = [r for r in claimed if r["user_id"] in people]
            await cur.execute(
                Q["reschedule"],
                {
                    "ids": [r["id"] for r in kept],
                    "ats": [next_look[r["id"]] for r in kept],
                    "leases": [r["leased_until"] for r in kept],
                },
            )
        return sent


def _message(
    due: reminders.Due,
    channels: dict[UUID, UUID],
    person: dict[str, Any],
    projection: calendar.Projection,
    now: datetime,
) -> dict[str, Any]:
    shift = due.shift
    rotation = projection.rotation(shift.rotation_id)
    event = {
        "type": "shift.reminder",
        "timestamp": now.isoformat(),
        "data": {
            "user": {"id": str(person["id"]), "name": person["name"], "email": person["email"]},
            "rotation": {
                "id": str(rotation.id),
                "name": rotation.name,
                "time_zone": rotation.time_zone,
            },
            "shift_start": shift.start.isoformat(),
            "shift_end": shift.end.isoformat(),
            "override_id": str(shift.override_id) if shift.override_id else None,
        },
    }
    return {
        "channel_id": channels[due.setting_id],
        "rotation_id": shift.rotation_id,
        "event_at": now,
        "payload": json.dumps(event),
        "dedup_key": f"{due.setting_id}:{shift.rotation_id}:{shift.start.isoformat()}",
    }
