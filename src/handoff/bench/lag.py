"""Lag of recorded handoffs: processed_at minus the instant the rotation was made due."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

MS_PER_SECOND = 1000.0


@dataclass(frozen=True, slots=True)
class Lag:
    recorded: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    span_seconds: float  # from the first due instant to the last recorded handoff

    def as_json(self) -> dict[str, object]:
        return {
            "recorded": self.recorded,
            "p50_lag_ms": round(self.p50_ms, 1),
            "p99_lag_ms": round(self.p99_ms, 1),
            "max_lag_ms": round(self.max_ms, 1),
        }


def recorded(conn: psycopg.Connection[Any], cause: str = "boundary") -> int:
    """The history rows of `cause` (a storm's: boundaries, or the active-hours storm's
    active_start rows)."""
    row = conn.execute(
        "SELECT /* bench */ count(*) FROM handoffs WHERE cause = %s", (cause,)
    ).fetchone()
    return int(row[0]) if row else 0


def measure(conn: psycopg.Connection[Any], cause: str = "boundary") -> Lag:
    row = conn.execute(
        """WITH /* bench */ lag AS (
            SELECT extract(epoch FROM h.processed_at - d.due_at) AS seconds
            FROM handoffs h JOIN bench_due d USING (rotation_id)
            WHERE h.cause = %s
        )
        SELECT count(*),
               coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), 0),
               coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY seconds), 0),
               coalesce(max(seconds), 0),
               coalesce(extract(epoch FROM (SELECT max(processed_at) FROM handoffs)
                                         - (SELECT min(due_at) FROM bench_due)), 0)
        FROM lag
        """,
        (cause,),
    ).fetchone()
    assert row is not None
    return Lag(
        recorded=int(row[0]),
        p50_ms=float(row[1]) * MS_PER_SECOND,
        p99_ms=float(row[2]) * MS_PER_SECOND,
        max_ms=float(row[3]) * MS_PER_SECOND,
        span_seconds=max(0.0, float(row[4])),
    )


def rotations_recorded_once(
    conn: psycopg.Connection[Any], cause: str = "boundary"
) -> tuple[int, int]:
    """(rows of `cause` recorded, rotations among them): equal when none was recorded twice."""
    row = conn.execute(
        "SELECT /* bench */ count(*), count(DISTINCT rotation_id) FROM handoffs WHERE cause = %s",
        (cause,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
