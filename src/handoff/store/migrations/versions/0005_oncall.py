"""Overrides, scheduled changes, and the on-call timeline's causes in the history (oncall.md)."""

from handoff.store.migrate import execute_file

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0005_oncall.sql")
