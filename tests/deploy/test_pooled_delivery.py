"""Notification delivery through PgBouncer in transaction pooling mode (deploy.md, "Poolers").

The notification tests' storm runs again with every worker connection through the pooler: one
of two workers is killed while it sends, and every change still arrives, each id with one body.
A line's sender is the holder of its head message's row lock, held by the round's transaction;
a session advisory lock taken through the pooler would stay on whichever server connection took
it, so its line would never be sent again (or be sent twice).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import handoff
from engine.conftest import Spawn
from notify import test_processes as processes
from notify.conftest import Receiver, receiver  # noqa: F401  (the notification tests' receiver)

pytestmark = pytest.mark.e2e


def test_a_storm_is_delivered_whole_through_pgbouncer(
    db_url: str,
    receiver: Receiver,  # noqa: F811
    pooled_spawn: Spawn,
) -> None:
    processes.test_a_storm_is_delivered_whole_through_a_killed_worker_and_failing_first_attempts(
        db_url, receiver, pooled_spawn
    )


# A session-level advisory lock function (pg_advisory_lock, pg_try_advisory_lock_shared,
# pg_advisory_unlock_all, ...): the transaction-level ones (`_xact_`) end with their
# transaction and so are safe behind the pooler.
SESSION_LOCK = re.compile(r"pg_(try_)?advisory_(lock|unlock)\w*\(", re.IGNORECASE)


def test_no_session_advisory_lock_in_the_code() -> None:
    """deploy.md: no session advisory locks anywhere (engine, notifications, migrations)."""
    source = Path(handoff.__file__).parent
    found = [
        f"{path.relative_to(source)}: {match.group(0)}"
        for path in sorted(source.rglob("*"))
        if path.suffix in {".py", ".sql"}
        for match in SESSION_LOCK.finditer(path.read_text())
    ]
    assert found == []
