"""Personal calendar feed tokens (notify.md): one revocable, hashed token per person."""

from handoff.store.migrate import execute_file

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0007_feeds.sql")
