"""People without duplicates: emails unique ignoring case; a person's time zone and role."""

from handoff.store.migrate import execute_file

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0014_people.sql")
