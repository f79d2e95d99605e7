"""Bulk rotations for the scenarios, set up in a few statements whatever their number.

Rotations, users, participants, state and schedule are written with INSERT ... SELECT over
generate_series, with the participants' enqueue triggers disabled for the insert (the bench
owns its database): the bench writes each rotation's state and schedule itself, so no queue
job exists before a scenario wants one. As a superuser (the embedded server's), the insert also
runs with session_replication_role = replica, which skips the foreign-key checks: the rows are
consistent by construction, and the checks (two per participant, one per state and schedule
row) are most of the time a million rotations take to populate.

Grid boundaries fall on whole minutes (a rotation's start is minute-aligned), but a storm must
start a couple of seconds after the workers are ready. So a scenario *releases* its rotations:
one transaction moves every state back by one step, so that the rotation's next boundary (a
whole minute, already past) is due, and sets each rotation's run time to the chosen instant.
The batch engine, which ignores run times, sees the rotations due from the release on; the
queue engine from the chosen instant, which its dispatcher sees coming like any boundary. Lag is
measured from that instant, kept in `bench_due`, because that is when the engine was told the
work is due. Each released rotation records exactly one boundary handoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

PARTICIPANTS_PER_ROTATION = 2
USERS = 100
IDLE_FIRST_DUE = timedelta(minutes=10)  # no idle rotation is due during its window
MINUTES_PER_DAY = 1440
IDLE_SPREAD_MINUTES = MINUTES_PER_DAY - 60  # daily rotations, handoffs spread over the day
RESET_ATTEMPTS = 5

_RESET = """TRUNCATE /* bench */ notify_attempts, notify_messages, notify_staged,
    notify_subscriptions, notify_channels, handoffs, rotation_schedule, rotation_state,
    participants, rotations, users, engine_status, procrastinate_jobs, bench_due CASCADE"""


@dataclass(frozen=True, slots=True)
class Layout:
    """How a population's rotations are laid out on their grids.

    Rotation g (1-based) has a boundary at `anchor + (g mod spread_minutes)` minutes, on a grid
    of step `step`; its current shift began `behind` steps before that boundary. The grid starts
    one step before the shift (so no state begins before its grid's start, whose first shift
    would be longer: rotation.first_boundary).
    """

    type: str
    step: timedelta
    anchor: datetime
    spread_minutes: int
    behind: int


def whole_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def idle_layout(now: datetime) -> Layout:
    """Daily rotations whose next handoffs are spread over the day, the first ten minutes away."""
    return Layout(
        "daily", timedelta(days=1), whole_minute(now + IDLE_FIRST_DUE), IDLE_SPREAD_MINUTES, 1
    )


def storm_layout(now: datetime) -> Layout:
    """Hourly rotations on one grid, the last boundary the past whole minute, none due yet."""
    return Layout("hourly", timedelta(hours=1), whole_minute(now), 1, 0)


_POPULATE = """INSERT /* bench */ INTO users (id, name)
SELECT md5('bench-user:' || u)::uuid, 'bench user ' || u FROM generate_series(0, %(users)s - 1) u;

INSERT /* bench */ INTO rotations
    (id, name, type, shift_length, start_at, time_zone, grid_changed_at)
SELECT md5('bench:' || g)::uuid, 'bench ' || g, %(type)s, 1,
       %(anchor)s + (g %% %(spread)s) * interval '1 minute' - (%(behind)s + 1) * %(step)s, 'UTC',
       %(anchor)s + (g %% %(spread)s) * interval '1 minute' - (%(behind)s + 1) * %(step)s
FROM generate_series(1, %(n)s) g;

ALTER /* bench */ TABLE participants DISABLE TRIGGER USER;
INSERT /* bench */ INTO participants (id, rotation_id, user_id, position)
SELECT md5('bench-participant:' || g || ':' || p)::uuid, md5('bench:' || g)::uuid,
       md5('bench-user:' || ((g + p) %% %(users)s))::uuid, p
FROM generate_series(1, %(n)s) g, generate_series(0, %(participants)s - 1) p;
ALTER /* bench */ TABLE participants ENABLE TRIGGER USER;

INSERT /* bench */ INTO rotation_state (rotation_id, position, participant_id, shift_start)
SELECT r.id, 0, md5('bench-participant:' || substr(r.name, 7) || ':0')::uuid,
       r.start_at + %(step)s
FROM rotations r;

INSERT /* bench */ INTO rotation_schedule (rotation_id, next_run_at)
SELECT rotation_id, shift_start + %(step)s FROM rotation_state;

ANALYZE /* bench */;
"""

_RELEASE = """INSERT /* bench */ INTO bench_due (rotation_id, due_at)
SELECT md5('bench:' || g)::uuid,
       %(first)s::timestamptz + (g - 1) * %(spacing)s
FROM generate_series(1, %(n)s) g;

UPDATE /* bench */ rotation_state s SET shift_start = s.shift_start - %(step)s
FROM bench_due d WHERE d.rotation_id = s.rotation_id;

UPDATE /* bench */ rotation_schedule s SET next_run_at = d.due_at
FROM bench_due d WHERE d.rotation_id = s.rotation_id;
"""


def reset(conn: psycopg.Connection[Any]) -> None:
    """Empty every table a population or an engine wrote (the workers' own rows stay).

    Workers may be running (a storm's rounds share them): the TRUNCATE's locks can deadlock
    with a worker's sweep that reads the same tables in another order, and PostgreSQL then
    cancels one of the two. When that is the TRUNCATE, it is tried again.
    """
    for attempt in range(RESET_ATTEMPTS):
        try:
            conn.execute(_RESET)
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == RESET_ATTEMPTS - 1:
                raise


def populate(conn: psycopg.Connection[Any], n: int, layout: Layout) -> None:
    """Create `n` rotations with participants, state and schedule (in one transaction)."""
    with conn.transaction():
        if _superuser(conn):
            conn.execute("SET /* bench */ LOCAL session_replication_role = replica")
        # Client-side binding: a multi-statement script cannot be a prepared statement.
        psycopg.ClientCursor(conn).execute(
            _POPULATE,
            {
                "n": n,
                "users": USERS,
                "participants": PARTICIPANTS_PER_ROTATION,
                "type": layout.type,
                "step": layout.step,
                "anchor": layout.anchor,
                "spread": layout.spread_minutes,
                "behind": layout.behind,
            },
        )


def _superuser(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT /* bench */ current_setting('is_superuser') = 'on'").fetchone()
    return bool(row and row[0])


def release(
    conn: psycopg.Connection[Any],
    n: int,
    layout: Layout,
    *,
    first_due: datetime,
    spacing: timedelta = timedelta(0),
) -> None:
    """Make rotations 1 to `n` of the population due: rotation g at
    `first_due + (g - 1) * spacing`. The others keep their state and schedule."""
    with conn.transaction():
        psycopg.ClientCursor(conn).execute(
            _RELEASE,
            {"n": n, "first": first_due, "spacing": spacing, "step": layout.step},
        )


def now() -> datetime:
    return datetime.now(UTC)
