"""The job queue's own tables: Procrastinate's schema at the version we pin.

A later Procrastinate release ships migration files (procrastinate/sql/migrations); moving to
it means a new revision here that applies those files in order.
"""

from procrastinate.schema import SchemaManager

from handoff.store.migrate import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(SchemaManager.get_schema())
