"""The audit log (people.md): who wrote what, by triggers on the written tables."""

from handoff.store.migrate import execute_file

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0018_audit.sql")
