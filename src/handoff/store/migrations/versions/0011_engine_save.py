"""The engine's write of a rotation as a function, and a procedure that writes each of a
job's rotations in a transaction of its own, in one call."""

from handoff.store.migrate import execute_file

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0011_engine_save.sql")
