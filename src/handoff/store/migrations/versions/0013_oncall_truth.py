"""One on-call truth: a history row records who is on call after it (id and name)."""

from handoff.store.migrate import execute_file

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0013_oncall_truth.sql")
