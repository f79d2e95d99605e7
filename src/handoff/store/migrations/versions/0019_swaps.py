"""Shift swaps (people.md): requests for cover, taken as overrides."""

from handoff.store.migrate import execute_file

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0019_swaps.sql")
