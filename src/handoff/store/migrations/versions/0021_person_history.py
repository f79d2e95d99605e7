"""The history rows naming a person, indexed for their report and page (reports.md)."""

from handoff.store.migrate import execute_file

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0021_person_history.sql")
