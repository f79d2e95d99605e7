"""Filled in by its owner: see src/handoff/store/sql/0005_oncall.sql."""

from handoff.store.migrate import execute_file

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0005_oncall.sql")
