"""The host's clock, for the one command that needs no database: `handoff preview`.

Everything else that depends on time (the engines, the API, the UI, the CLI's other commands)
reads the engine's one clock, the database server's (`handoff.store.clock`), so that app hosts
whose clocks are off change nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime


def host_now() -> datetime:
    """This host's current instant, an aware datetime in UTC."""
    return datetime.now(UTC)
