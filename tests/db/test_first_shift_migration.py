"""Migration 0016 (the first-shift marker) on a database made by the previous release: every
state keeps its next handoff. The previous release inferred the start rule from the instants
(a state begun before the grid's start with no boundary between them ran through the first
whole shift); the migration marks exactly those states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff import rotation
from handoff.grid import Grid
from handoff.store import inputs, migrate
from handoff.store.db import connect

PREVIOUS = "0015"  # the schema of the release before the marker
START = datetime(2026, 12, 10, 9, tzinfo=UTC)
DAY = timedelta(days=1)


def previous_release_end(grid: Grid, shift_start: datetime) -> datetime:
    """The previous release's first handoff from a state, written here again."""
    end = grid.end_time(shift_start)
    return grid.end_time(grid.start) if shift_start < grid.start <= end else end


# name: (shift_start, whether the previous release treated it as a first shift)
STATES = {
    "stub": (START - timedelta(hours=6), True),  # created at 03:00 for 09:00
    "far": (START - 3 * DAY + timedelta(hours=2), False),  # a boundary before `start`
    "on-grid": (START - 2 * DAY, False),  # a shift on the grid before `start`
    "running": (START + 2 * DAY, False),
}


def test_existing_states_keep_their_next_handoff(previous_db: str) -> None:
    with connect(previous_db, autocommit=True) as conn:
        user = conn.execute("INSERT INTO users (name) VALUES ('ann') RETURNING id").fetchone()
        assert user
        for name, (shift_start, _) in STATES.items():
            row = conn.execute(
                "INSERT INTO rotations (name, type, shift_length, start_at, time_zone)"
                " VALUES (%s, 'daily', 1, %s, 'UTC') RETURNING id",
                (name, START),
            ).fetchone()
            assert row
            participant = conn.execute(
                "INSERT INTO participants (rotation_id, user_id, position) VALUES (%s, %s, 0)"
                " RETURNING id",
                (row["id"], user["id"]),
            ).fetchone()
            assert participant
            conn.execute(
                "INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start)"
                " VALUES (%s, 0, %s, %s)",
                (row["id"], participant["id"], shift_start),
            )
        before = conn.execute("SELECT * FROM rotation_state ORDER BY rotation_id").fetchall()
    migrate.upgrade(previous_db)
    assert migrate.current_revision(previous_db) == migrate.head_revision()
    grid = Grid("daily", 1, START, "UTC")
    with connect(previous_db, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT r.name, st.* FROM rotation_state st JOIN rotations r ON r.id = st.rotation_id"
            " ORDER BY st.rotation_id"
        ).fetchall()
    columns = [k for k in before[0] if k != "first_shift"]
    assert [{k: r[k] for k in columns} for r in rows] == before
    for row in rows:
        shift_start, marked = STATES[row["name"]]
        assert row["first_shift"] is marked, row["name"]
        state = inputs.state(row)
        assert state is not None
        ours = rotation.first_boundary(grid, state.shift_start, state.first_shift)
        assert ours == previous_release_end(grid, shift_start), row["name"]
