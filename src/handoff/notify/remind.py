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
    """One pass over the due settings; returns how many reminders it decided to send."""
    async with pool.connection() as conn:
        async with db.autocommit(conn), conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["claim_due"], {"limit": BATCH, "lease": LEASE})  # one statement
            claimed = await cur.fetchall()
        by_user: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
        for row in claimed:
            by_user[row["user_id"]].append(row)
        sent = 0
        for user_id, rows in by_user.items():
            now: datetime = rows[0]["now"]
            settings = [
                reminders.Setting(r["id"], timedelta(minutes=r["before_minutes"])) for r in rows
            ]
            projection = await calendar.project(
                conn, now, now + reminders.window(settings), user_id=user_id
            )
            pieces = [
                reminders.Piece(s.rotation_id, s.start, s.end, s.override_id, s.turn_start)
                for s in projection.segments
            ]
            due, next_look = reminders.decide(settings, pieces, now)
            async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(Q["person"], {"user_id": user_id})
                person = await cur.fetchone()
                if person is None:
                    continue  # deleted meanwhile: its settings went with it
                channels = {r["id"]: r["channel_id"] for r in rows}
                messages = [_message(d, channels, person, projection, now) for d in due]
                await cur.execute(
                    Q["send"],
                    {
                        key: [m[key] for m in messages]
                        for key in ("channel_id", "rotation_id", "event_at", "payload", "dedup_key")
                    },
                )
                sent += cur.rowcount
                await cur.execute(
                    Q["reschedule"],
                    {
                        "ids": [r["id"] for r in rows],
                        "ats": [next_look[r["id"]] for r in rows],
                        "leases": [r["leased_until"] for r in rows],
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
