"""The first-shift marker on a rotation's state (engine.md: a rotation created before its
`start` gives its first participant the time until `start` and the whole first shift).

The previous release inferred it from the instants: a state begun before the grid's start with
no boundary between them was a first shift. That rule lives on here only, to mark the states it
applied to, so that every existing rotation keeps its next handoff.
"""

from datetime import datetime
from typing import cast

from handoff.grid import Grid, GridType
from handoff.store.migrate import execute_file

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_BEFORE_START = """
SELECT st.rotation_id, st.shift_start, r.type, r.shift_length, r.start_at, r.time_zone
FROM rotation_state st JOIN rotations r ON r.id = st.rotation_id
WHERE st.shift_start < r.start_at
"""


def _was_first_shift(grid: Grid, shift_start: datetime) -> bool:
    """The previous release's inference: no boundary between `shift_start` and `start`."""
    return grid.end_time(shift_start) >= grid.start


def upgrade() -> None:
    from alembic import op

    execute_file("0016_first_shift.sql")
    conn = op.get_bind().connection.driver_connection
    assert conn is not None
    marked = []
    for rotation_id, shift_start, type_, length, start, zone in conn.execute(_BEFORE_START):
        try:
            grid = Grid(cast(GridType, type_), length, start, zone)
        except ValueError:
            continue  # a grid written around validation: the engine never ran it either
        if _was_first_shift(grid, shift_start):
            marked.append(rotation_id)
    if marked:
        conn.execute(
            "UPDATE rotation_state SET first_shift = true WHERE rotation_id = ANY (%s)", (marked,)
        )
