"""Web UI sessions (server-side, hashed secrets), the sign-in rate limit, worker start times."""

from handoff.store.migrate import execute_file

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0006_web_sessions.sql")
