"""One clock, one lock order, retention and the cool-down (engine.md, "Real-world conditions")."""

from handoff.store.migrate import execute_file

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_file("0003_real_world.sql")
