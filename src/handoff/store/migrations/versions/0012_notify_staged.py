"""The on-call changes' outbox staged in an unindexed table the notification sweep publishes
from, off the write path; the engine's clock function in PL/pgSQL."""

from handoff.store.migrate import execute_file

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0012_notify_staged.sql")
