"""The job queue's own tables: the pinned Procrastinate release's schema, and its version.

Later pins are applied from Procrastinate's own migration files by `queue_schema.upgrade`
(see that module).
"""

from alembic import op

from handoff.store import queue_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    queue_schema.install(op.get_bind().connection.driver_connection)
