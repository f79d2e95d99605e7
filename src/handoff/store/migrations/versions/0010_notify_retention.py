"""Notification retention: when a message was finished, indexed for the purge."""

from handoff.store.migrate import execute_file

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0010_notify_retention.sql")
