"""The database work an engine causes over a window, from the server's own statistics.

With pg_stat_statements (the embedded server preloads it) every statement the engine ran in the
bench database is counted with its execution time, and the heaviest are kept for diagnosis. The
bench's own statements carry the `/* bench */` marker and are left out. Without it the figures
come from pg_stat_database: transactions and `active_time` (time backends spent executing
statements in the database), which the server publishes with a delay of up to about ten
seconds, so short windows are rougher.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import psycopg

from handoff import logs

log = logs.Logger("handoff.bench")
MARKER = "/* bench */"  # written literally into every statement the bench runs
TOP_STATEMENTS = 8
QUERY_TEXT_CHARS = 160

Source = Literal["pg_stat_statements", "pg_stat_database"]


@dataclass(frozen=True, slots=True)
class Statement:
    query: str
    calls: int
    total_ms: float

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class Work:
    """What happened in the database between two snapshots."""

    source: Source
    seconds: float
    statements: int  # transactions when the source is pg_stat_database
    db_time_ms: float
    top: list[Statement] = field(default_factory=list)

    @property
    def db_ms_per_second(self) -> float:
        return self.db_time_ms / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "seconds": round(self.seconds, 3),
            "statements": self.statements,
            "db_time_ms": round(self.db_time_ms, 3),
            "db_ms_per_second": round(self.db_ms_per_second, 4),
            "top_statements": [
                {
                    "query": s.query,
                    "calls": s.calls,
                    "total_ms": round(s.total_ms, 3),
                    "mean_ms": round(s.mean_ms, 4),
                }
                for s in self.top
            ],
        }


def statements_available(url: str) -> bool:
    """Whether pg_stat_statements is loaded on the server and can be used from `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT /* bench */ current_setting('shared_preload_libraries')"
        ).fetchone()
        if row is None or "pg_stat_statements" not in str(row[0]):
            return False
        try:
            conn.execute("CREATE /* bench */ EXTENSION IF NOT EXISTS pg_stat_statements")
        except psycopg.Error as exc:
            # The figures still come, from pg_stat_database; say why they are rougher.
            log.warning("pg_stat_statements unusable", error=str(exc).strip())
            return False
    return True


@dataclass
class _Snapshot:
    at: float
    by_query: dict[int, Statement]
    transactions: int
    active_ms: float


class Meter:
    """Measures one window: `start()`, then `stop()` returns the Work done in between."""

    def __init__(self, url: str, source: Source) -> None:
        self.url = url
        self.source = source
        self._first: _Snapshot | None = None

    def _snapshot(self) -> _Snapshot:
        with psycopg.connect(self.url, autocommit=True) as conn:
            if self.source == "pg_stat_statements":
                rows = conn.execute(
                    "SELECT /* bench */ queryid, query, calls, total_exec_time"
                    " FROM pg_stat_statements"
                    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " AND queryid IS NOT NULL AND query NOT LIKE %s",
                    ("%" + MARKER + "%",),
                ).fetchall()
                by_query = {
                    int(r[0]): Statement(" ".join(str(r[1]).split()), int(r[2]), float(r[3]))
                    for r in rows
                }
                return _Snapshot(time.monotonic(), by_query, 0, 0.0)
            conn.execute("SELECT /* bench */ pg_stat_clear_snapshot()")
            row = conn.execute(
                "SELECT /* bench */ xact_commit + xact_rollback, active_time"
                " FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
            assert row is not None
            return _Snapshot(time.monotonic(), {}, int(row[0]), float(row[1] or 0.0))

    def start(self) -> None:
        self._first = self._snapshot()

    def stop(self) -> Work:
        first = self._first
        if first is None:
            raise RuntimeError("Meter.stop() called before start()")
        last = self._snapshot()
        seconds = last.at - first.at
        if self.source == "pg_stat_database":
            # The bench's own two snapshot transactions are in the count; take them out.
            own_transactions = 2
            return Work(
                self.source,
                seconds,
                max(0, last.transactions - first.transactions - own_transactions),
                max(0.0, last.active_ms - first.active_ms),
            )
        deltas: list[Statement] = []
        for query_id, now in last.by_query.items():
            before = first.by_query.get(query_id)
            calls = now.calls - (before.calls if before else 0)
            total = now.total_ms - (before.total_ms if before else 0.0)
            if calls > 0:
                deltas.append(Statement(now.query[:QUERY_TEXT_CHARS], calls, total))
        deltas.sort(key=lambda s: s.total_ms, reverse=True)
        return Work(
            self.source,
            seconds,
            sum(s.calls for s in deltas),
            sum(s.total_ms for s in deltas),
            deltas[:TOP_STATEMENTS],
        )


def source_for(url: str) -> Source:
    """The best statistics source for the database at `url` (creating the extension there)."""
    return "pg_stat_statements" if statements_available(url) else "pg_stat_database"
