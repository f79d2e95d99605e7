"""The engine's read of a rotation's overrides and pending scheduled changes (oncall.md)."""

from handoff.store.migrate import execute_file

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0008_oncall_engine.sql")
