"""The rows naming nobody on call, indexed for handoff_rotation_unstaffed (reports.md)."""

from handoff.store.migrate import execute_file

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0020_unstaffed.sql")
