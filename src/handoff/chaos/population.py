"""Rotations shaped for a fault, written straight into the database with their baseline.

The grid puts every boundary on a whole minute (a rotation's start is truncated to the
minute, and the shortest shift is an hour), so load is shaped by choosing *which* minute each
rotation hands off at: `on_boundaries` makes `per_boundary` hourly rotations whose next
boundary is each given minute, so 1,000 per boundary means 1,000 rotations hand off at every
minute of the run, all at the minute's first instant. `behind` makes rotations whose state is
as old as the engine's downtime, so the engine must catch up every boundary since.

Rows are written with COPY in one transaction. The participant triggers enqueue a job per
rotation, as they would for any writer; the jobs are then removed and the schedule set to
exactly what the fault needs (due at the next boundary, owned by a job that does not exist,
or absent), so the engine sees the situation and nothing else. The state each rotation
starts from is kept in `chaos_baseline`, from which the invariant checker recomputes what the
engine must have done.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import psycopg

from handoff.grid import Grid, GridType
from handoff.rotation import first_boundary

USERS = 12
PARTICIPANTS = (2, 3, 4)  # participants per rotation, cycled
# Zones with hard DST rules and odd offsets, so the catch-up crosses real transitions.
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/Chicago",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
)
# Grids of the rotations that catch up after downtime: several boundaries an hour or a day.
BEHIND_GRIDS: tuple[tuple[GridType, int], ...] = (
    ("hourly", 1),
    ("hourly", 2),
    ("hourly", 3),
    ("daily", 1),
)
LOST_JOB_BASE = 1 << 60  # job ids no queue ever issued: a schedule row owned by a lost job
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)

Schedule = Literal["due", "lost_job", "none"]


@dataclass(frozen=True, slots=True)
class Planned:
    """One rotation to write: its grid, the shift it is in, and how the schedule knows it.

    `stored_zone` replaces the time zone in the database (bad data the engine must survive);
    the grid itself is always valid so the baseline can be computed.
    """

    grid: Grid
    shift_start: datetime
    schedule: Schedule = "due"
    stored_zone: str | None = None


def on_boundaries(boundaries: Sequence[datetime], per_boundary: int) -> list[Planned]:
    """`per_boundary` hourly rotations whose next handoff is each of `boundaries`."""
    planned: list[Planned] = []
    for boundary in boundaries:
        if boundary.second or boundary.microsecond:
            raise ValueError(f"a boundary falls on a whole minute, got {boundary.isoformat()}")
        for i in range(per_boundary):
            # Anchored a shift before the boundary, so the state (no first shift: the COPY
            # leaves rotation_state.first_shift false) is on the grid from its start.
            grid = Grid("hourly", 1, boundary - HOUR, ZONES[i % len(ZONES)])
            shift_start = grid.start_time(boundary - SECOND)
            assert first_boundary(grid, shift_start, first_shift=False) == boundary
            planned.append(Planned(grid, shift_start))
    return planned


def behind(
    count: int,
    since: datetime,
    *,
    seed: int,
    schedules: Sequence[Schedule] = ("due",),
    quiet: tuple[datetime, datetime] | None = None,
) -> list[Planned]:
    """`count` rotations whose recorded shift began at or before `since` (the engine's last
    run), over BEHIND_GRIDS and ZONES; schedules are cycled through `schedules`. With `quiet`,
    no grid hands off within that window: each grid that would is anchored a minute earlier
    until it does not (a fault that checks one summary per catch-up must not see a boundary
    pass while it runs)."""
    rng = random.Random(seed)
    planned: list[Planned] = []
    for i in range(count):
        kind, length = BEHIND_GRIDS[i % len(BEHIND_GRIDS)]
        anchor = (since - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 1439))).replace(
            second=0, microsecond=0
        )
        grid = Grid(kind, length, anchor, ZONES[i % len(ZONES)])
        while quiet is not None and quiet[0] < grid.end_time(quiet[0]) <= quiet[1]:
            grid = Grid(kind, length, grid.start - MINUTE, grid.time_zone)
        planned.append(Planned(grid, grid.start_time(since), schedules[i % len(schedules)]))
    return planned


def _users(conn: psycopg.Connection[tuple[object, ...]]) -> list[uuid.UUID]:
    rows = conn.execute(
        "SELECT id FROM users WHERE name LIKE 'chaos user %' ORDER BY name"
    ).fetchall()
    if rows:
        return [r[0] for r in rows]  # type: ignore[misc]
    ids = [uuid.uuid4() for _ in range(USERS)]
    with conn.cursor().copy("COPY users (id, name) FROM STDIN") as copy:
        for i, user_id in enumerate(ids):
            copy.write_row((user_id, f"chaos user {i:02d}"))
    return ids


def write(url: str, fault: str, planned: Sequence[Planned]) -> list[uuid.UUID]:
    """Write the rotations of `fault` with their state, schedule and baseline; their ids."""
    ids = [uuid.uuid4() for _ in planned]
    created = datetime.now(UTC)
    with psycopg.connect(url) as conn, conn.transaction():
        users = _users(conn)
        cur = conn.cursor()
        with cur.copy(
            "COPY rotations (id, name, type, shift_length, start_at, time_zone,"
            " grid_changed_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, (rotation_id, p) in enumerate(zip(ids, planned, strict=True)):
                # The grid is as old as the shift: the engine must not restart the shift.
                changed = min(p.shift_start, p.grid.start)
                copy.write_row(
                    (
                        rotation_id,
                        f"{fault}-{i:06d}",
                        p.grid.type,
                        p.grid.shift_length,
                        p.grid.start,
                        p.stored_zone or p.grid.time_zone,
                        changed,
                        changed,
                        created,
                    )
                )
        first_participant: list[uuid.UUID] = []
        with cur.copy("COPY participants (id, rotation_id, user_id, position) FROM STDIN") as copy:
            for i, rotation_id in enumerate(ids):
                size = PARTICIPANTS[i % len(PARTICIPANTS)]
                for position in range(size):
                    participant_id = uuid.uuid4()
                    if position == 0:
                        first_participant.append(participant_id)
                    copy.write_row(
                        (participant_id, rotation_id, users[(i + position) % len(users)], position)
                    )
        with cur.copy(
            "COPY rotation_state (rotation_id, position, participant_id, shift_start) FROM STDIN"
        ) as copy:
            for rotation_id, participant_id, p in zip(ids, first_participant, planned, strict=True):
                copy.write_row((rotation_id, 0, participant_id, p.shift_start))
        with cur.copy(
            "COPY chaos_baseline (rotation_id, fault, position, participant_id, shift_start)"
            " FROM STDIN"
        ) as copy:
            for rotation_id, participant_id, p in zip(ids, first_participant, planned, strict=True):
                copy.write_row((rotation_id, fault, 0, participant_id, p.shift_start))
        cur.execute(
            "DELETE FROM procrastinate_jobs WHERE queueing_lock = ANY(%s)",
            ([f"rotation:{r}" for r in ids],),
        )
        cur.execute("DELETE FROM rotation_schedule WHERE rotation_id = ANY(%s)", (ids,))
        with cur.copy(
            "COPY rotation_schedule (rotation_id, next_run_at, job_id) FROM STDIN"
        ) as copy:
            for i, (rotation_id, p) in enumerate(zip(ids, planned, strict=True)):
                if p.schedule == "none":
                    continue
                job_id = LOST_JOB_BASE + i if p.schedule == "lost_job" else None
                copy.write_row((rotation_id, p.grid.end_time(p.shift_start), job_id))
    return ids
