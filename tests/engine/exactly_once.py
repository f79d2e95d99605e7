"""What "exactly once" and "no deadlock" fail on, looked at where it shows.

The unique indexes make a second history row impossible, so counting rows per boundary cannot
see a double: the real failure is a job that hits a unique violation (or a deadlock), fails and
is retried until its retry finds the work done. That leaves two traces: the processes' logs
(every failed job is logged with its exception) and the database's own deadlock counter
(`pg_stat_database.deadlocks`). `exactly_once` checks both around a block that runs real
processes; the process and chaos fixtures wrap every test in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

# What a job that collided with another writer logs: psycopg's class names and PostgreSQL's
# messages, for a unique violation and for a deadlock.
COLLISION_SIGNS = (
    "UniqueViolation",
    "duplicate key value violates unique constraint",
    "DeadlockDetected",
    "deadlock detected",
)
SETTLE_TIMEOUT = 15.0  # seconds for the processes' server backends to exit


def _database_counts(db_url: str) -> tuple[int, int]:
    """(deadlocks the database has counted, client backends connected to it but this one)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()),"
            " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid())"
        ).fetchone()
    assert row
    return int(row[0]), int(row[1])


def collisions(log_dir: Path | None, output: str = "") -> list[str]:
    """The lines of the logs in `log_dir` and of `output` that show a job failing on a unique
    violation or a deadlock."""
    texts = (
        [p.read_text(errors="replace") for p in sorted(log_dir.glob("*.log"))] if log_dir else []
    )
    return [
        line[:500]
        for text in [*texts, output]
        for line in text.splitlines()
        if any(sign in line for sign in COLLISION_SIGNS)
    ]


@contextmanager
def exactly_once(
    db_url: str, log_dir: Path | None = None, output: Callable[[], str] = str
) -> Iterator[None]:
    """Assert that nothing in the block made a job fail on a unique violation or a deadlock
    (in the logs of `log_dir`'s processes, or in `output()` for engines run in this process),
    and that the database counted no deadlock.

    Close every process of the block before it ends: a backend reports its deadlocks to the
    statistics when it goes idle (at most once a second) or exits, so the check waits until
    the connections opened in the block are gone before it reads the counter.
    """
    deadlocks_before, connected_before = _database_counts(db_url)
    yield
    deadline = time.monotonic() + SETTLE_TIMEOUT
    deadlocks_after, connected = _database_counts(db_url)
    while connected > connected_before and time.monotonic() < deadline:
        time.sleep(0.1)
        deadlocks_after, connected = _database_counts(db_url)
    assert collisions(log_dir, output()) == [], "a job failed on a unique violation or a deadlock"
    # Not `==`: a server the block restarted may have started its statistics afresh.
    assert deadlocks_after <= deadlocks_before, (
        f"the database counted {deadlocks_after - deadlocks_before} deadlocks"
    )
