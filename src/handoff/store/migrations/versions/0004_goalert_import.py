"""GoAlert import: which rotations and users came from GoAlert, and the 'imported' history cause."""

from handoff.store.migrate import execute_file

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0004_goalert_import.sql")
