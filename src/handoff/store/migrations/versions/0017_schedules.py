"""Schedules (schedules.md): layers of rotations, schedule overrides and their history."""

from handoff.store.migrate import execute_file

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0017_schedules.sql")
