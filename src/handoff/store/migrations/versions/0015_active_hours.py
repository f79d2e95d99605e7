"""Active hours (hours.md): a rotation's weekly windows and how its turns count."""

from handoff.store.migrate import execute_file

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0015_active_hours.sql")
