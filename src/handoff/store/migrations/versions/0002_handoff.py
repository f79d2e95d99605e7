"""Users, rotations, participants, state, schedule, history, tokens, and the enqueue triggers."""

from handoff.store.migrate import execute_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0002_handoff.sql")
