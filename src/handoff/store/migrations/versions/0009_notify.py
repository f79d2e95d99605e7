"""Notifications (notify.md): channels, subscriptions, reminders, the outbox and its attempts."""

from handoff.store.migrate import execute_file

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0009_notify.sql")
