"""Reads the on-call report's inputs and hands them to the pure `handoff.reports`.

Four statements (five for a person's: their rotations first) whatever the number of rotations
and people, in one repeatable-read snapshot: the rotations' `Inputs` (`store.inputs`), their
names, the recorded history rows over the range and the people named anywhere in it. The
request's instant splits the record from the projection (reports.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff import reports
from handoff.store import clock, db, inputs, projections, schedules, times
from handoff.store.errors import NotFound, invalid
from handoff.store.queries import Queries

Q = Queries("reports")


def check_range(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The range cut to the second; at most `reports.MAX_RANGE` long."""
    since = reports.whole_second(times.check("since", since))
    until = reports.whole_second(times.check("until", until))
    if until <= since:
        raise invalid("until", "must be after since")
    if until - since > reports.MAX_RANGE:
        raise invalid("until", f"the range can be at most {reports.MAX_RANGE.days} days long")
    return since, until


async def oncall(
    conn: AsyncConnection[Any],
    since: datetime,
    until: datetime,
    *,
    now: datetime,
    rotation_id: UUID | None = None,
    schedule_id: UUID | None = None,
    user_id: UUID | None = None,
) -> reports.Report:
    """The on-call report over [since, until) of every rotation, or of the rotation and the
    schedule asked for, optionally one person's rows; `now` is the request's instant."""
    found = await oncall_ranges(
        conn,
        [(since, until)],
        now=now,
        rotation_id=rotation_id,
        schedule_id=schedule_id,
        user_id=user_id,
    )
    return found[0]


async def oncall_ranges(
    conn: AsyncConnection[Any],
    ranges: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime,
    rotation_id: UUID | None = None,
    schedule_id: UUID | None = None,
    user_id: UUID | None = None,
) -> list[reports.Report]:
    """The report over each range (the person page's last and next 30 days), from one read
    and one timeline per rotation over their span: each rotation is projected once, however
    many ranges. With `user_id` only the rotations that person may be in are read (the
    others could give them no row), so their page costs their rotations, not everyone's.

    Refused (422) when the recorded rows read and the pieces projected would pass
    `reports.MAX_PIECES`: the work of one request is bounded whatever the number of
    rotations (issue 24)."""
    checked = [check_range(since, until) for since, until in ranges]
    since, until = min(r[0] for r in checked), max(r[1] for r in checked)
    now = reports.whole_second(now)
    everything = rotation_id is None and schedule_id is None
    async with db.snapshot(conn):
        readings: list[inputs.Reading] = []
        if rotation_id is not None or everything:
            wanted: list[UUID] | None = None
            if rotation_id is not None:
                wanted = [rotation_id]
            elif user_id is not None:
                wanted = await projections.rotations_of(conn, user_id)
            readings = await inputs.read(conn, wanted)
        if rotation_id is not None and not readings:
            raise NotFound("rotation", rotation_id)
        stacked = (
            [] if schedule_id is None else await schedules.readings(conn, [schedule_id], since)
        )
        if schedule_id is not None and not stacked:
            raise NotFound("schedule", schedule_id)
        ids = [r.rotation_id for r in readings]
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(Q["rotation_names"], {"rotation_ids": ids})
            names = {row["id"]: row["name"] for row in await inputs.fetch_in_chunks(cur)}
            await cur.execute(
                Q["recorded"],
                {
                    "rotation_ids": ids,
                    "since": since,
                    "before": min(now, until),
                    "limit": reports.MAX_PIECES + 1,
                },
            )
            recorded = await inputs.fetch_in_chunks(cur)
            if len(recorded) > reports.MAX_PIECES:
                raise invalid("until", reports.over_budget())
            # Everything between the reads is CPU work over every recorded row and piece: off
            # the event loop, where a person in hundreds of rotations would stall it (issue 24).
            timelines, as_recorded, named = await asyncio.to_thread(
                _timelines_of, readings, names, recorded, stacked, since, until, now
            )
            await cur.execute(Q["people"], {"user_ids": list(named)})
            people = {
                u: reports.Person(name, None) for u, name in as_recorded.items() if u in named
            }
            people |= {
                row["id"]: reports.Person(row["name"], row["time_zone"])
                for row in await cur.fetchall()
            }
    return await asyncio.to_thread(_built, checked, now, timelines, people, user_id)


def _built(
    ranges: Sequence[tuple[datetime, datetime]],
    now: datetime,
    timelines: Sequence[reports.RotationTimeline],
    people: dict[UUID, reports.Person],
    user_id: UUID | None,
) -> list[reports.Report]:
    return [
        reports.build(
            since,
            until,
            now,
            [reports.within(t, since, until) for t in timelines],
            people,
            user_id=user_id,
        )
        for since, until in ranges
    ]


def _timelines_of(
    readings: list[inputs.Reading],
    names: dict[UUID, str],
    recorded: list[dict[str, Any]],
    stacked: list[schedules.Reading],
    since: datetime,
    until: datetime,
    now: datetime,
) -> tuple[list[reports.RotationTimeline], dict[UUID, str], set[UUID]]:
    """The rotations' timelines from their recorded rows and the schedules', the names people
    had as recorded, and everyone the timelines name."""
    rows: dict[UUID, list[reports.Recorded]] = {}
    as_recorded: dict[UUID, str] = {}
    for row in recorded:
        rows.setdefault(row["rotation_id"], []).append(_recorded(row))
        for key in ("to_user", "on_call_user"):
            if row[f"{key}_id"] is not None and row[f"{key}_name"]:
                as_recorded[row[f"{key}_id"]] = row[f"{key}_name"]
    budget = reports.MAX_PIECES - len(recorded)
    timelines = _timelines(readings, names, rows, since, until, now, budget)
    budget -= sum(p.planned for t in timelines for p in t.pieces)
    for schedule in stacked:
        timelines.append(_schedule_timeline(schedule, since, until, now, budget))
        budget -= len(timelines[-1].pieces)
    named = {
        u
        for t in timelines
        for u in (*t.participants, *(p.user_id for p in t.pieces), *_owners(t))
        if u is not None
    }
    return timelines, as_recorded, named


def _owners(timeline: reports.RotationTimeline) -> list[UUID | None]:
    return [p.own_user_id for p in timeline.pieces]


def _recorded(row: dict[str, Any]) -> reports.Recorded:
    return reports.Recorded(
        row["boundary_at"],
        row["cause"],
        row["to_user_id"],
        row["on_call_user_id"],
        row["on_call_override_id"],
    )


def _timelines(
    readings: list[inputs.Reading],
    names: dict[UUID, str],
    rows: dict[UUID, list[reports.Recorded]],
    since: datetime,
    until: datetime,
    now: datetime,
    budget: int,
) -> list[reports.RotationTimeline]:
    """Each rotation's timeline; `budget` is how many pieces all their projections may take."""
    result: list[reports.RotationTimeline] = []
    for reading in readings:
        try:
            pieces = reports.timeline(
                rows.get(reading.rotation_id, []),
                reading.inputs,
                since,
                until,
                now,
                budget=budget,
            )
        except ValueError as exc:  # a grid written around validation, or over the budget
            raise invalid("until", f"rotation {reading.rotation_id}: {exc}") from None
        budget -= sum(p.planned for p in pieces)
        result.append(
            reports.RotationTimeline(
                reading.rotation_id,
                names.get(reading.rotation_id, ""),
                reading.inputs.config.time_zone,
                tuple(dict.fromkeys(p.user_id for p in reading.inputs.participants)),
                tuple(pieces),
            )
        )
    return result


def _schedule_timeline(
    schedule: schedules.Reading, since: datetime, until: datetime, now: datetime, budget: int
) -> reports.RotationTimeline:
    """A schedule's final on-call as a timeline; everyone in its layers' rotations now gets a
    row, as a rotation's participants do."""
    pieces = reports.schedule_pieces(schedule.inputs, since, until, now)
    if len(pieces) > budget:
        raise invalid("until", reports.over_budget())
    return reports.RotationTimeline(
        schedule.id,
        schedule.name,
        schedule.time_zone,
        tuple(
            dict.fromkeys(
                p.user_id for layer in schedule.inputs.layers for p in layer.inputs.participants
            )
        ),
        tuple(pieces),
        schedule=True,
    )


async def unstaffed(conn: AsyncConnection[Any]) -> list[UUID]:
    """The rotations with nobody on call now, as the engine recorded it (for the
    `handoff_rotation_unstaffed` gauge: a lagging engine has alerts of its own)."""
    async with conn.cursor() as cur:
        await cur.execute(Q["unstaffed"])
        return [row[0] for row in await cur.fetchall()]


async def next_gaps(conn: AsyncConnection[Any]) -> list[tuple[UUID, int]]:
    """Each schedule with a gap within `reports.GAP_HORIZON` of the engine's clock, and the
    seconds until it (for the `handoff_schedule_next_gap_seconds` gauge)."""
    async with db.snapshot(conn):
        now = await clock.read(conn)
        async with conn.cursor() as cur:
            await cur.execute(Q["schedule_ids"])
            ids = [row[0] for row in await cur.fetchall()]
        stacked = await schedules.readings(conn, ids, now)
    return await asyncio.to_thread(_next_gaps, stacked, now)


def _next_gaps(stacked: list[schedules.Reading], now: datetime) -> list[tuple[UUID, int]]:
    found = ((s.id, reports.next_gap_seconds(s.inputs, now)) for s in stacked)
    return [(schedule_id, seconds) for schedule_id, seconds in found if seconds is not None]
