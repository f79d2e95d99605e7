"""The invariants checked from the database after each fault, with the pure core.

For every rotation of a fault the checker reads its grid, participants, current state and
recorded history, and the state it started from (`chaos_baseline`). It asks the engines' own
catch-up (`state.settle`: rotation.reconcile and oncall.catch_up, pure, no I/O) what must have
happened between the baseline and now, and compares:

- the stored state equals the state the core computes;
- every boundary the core crossed is recorded once, from and to the right participants, and
  nothing else is recorded (`unexpected`);
- each (rotation, boundary) appears once (`duplicated`, read with SQL: the unique index
  should make it impossible, and the suite does not take that on trust);
- every settled rotation is scheduled for its next handoff (or owned by a job), so none can
  stay stuck after the run (`unscheduled`);
- no boundary older than RECOVERY_WINDOW is missing. Younger ones are `pending`: the engine
  may still be on them (a killed worker's job is retried within 30 s, engine.md).

Nothing here re-implements a rule: a second implementation could share the engine's bugs.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from handoff import rotation
from handoff.store import inputs, state

RECOVERY_WINDOW = timedelta(seconds=30)
SETTLE_POLL_SECONDS = 1.0

_ROTATIONS = """
SELECT r.id, r.type, r.shift_length, r.start_at, r.time_zone, r.grid_changed_at,
       b.position AS base_position, b.participant_id AS base_participant,
       b.shift_start AS base_shift_start,
       st.position, st.participant_id, st.shift_start, st.first_shift,
       s.rotation_id IS NOT NULL AS scheduled, s.next_run_at, s.job_id
FROM chaos_baseline b
JOIN rotations r ON r.id = b.rotation_id
LEFT JOIN rotation_state st ON st.rotation_id = r.id
LEFT JOIN rotation_schedule s ON s.rotation_id = r.id
WHERE b.fault = %(fault)s
"""
_PARTICIPANTS = """
SELECT p.rotation_id, p.id, p.user_id
FROM participants p JOIN chaos_baseline b ON b.rotation_id = p.rotation_id
WHERE b.fault = %(fault)s
ORDER BY p.rotation_id, p.position
"""
_HISTORY = """
SELECT h.rotation_id, h.boundary_at, h.processed_at, h.from_participant_id,
       h.to_participant_id
FROM handoffs h JOIN chaos_baseline b ON b.rotation_id = h.rotation_id
WHERE b.fault = %(fault)s AND h.cause = 'boundary'
"""
_DUPLICATES = """
SELECT coalesce(sum(n - 1), 0) AS duplicated FROM (
    SELECT count(*) AS n
    FROM handoffs h JOIN chaos_baseline b ON b.rotation_id = h.rotation_id
    WHERE b.fault = %(fault)s AND h.cause = 'boundary'
    GROUP BY h.rotation_id, h.boundary_at
) groups
"""


@dataclass
class Check:
    """What the database holds for one fault's rotations, against what the core says."""

    rotations: int = 0
    boundaries: int = 0  # boundaries crossed, by the core, since the baseline
    recorded: int = 0  # boundary handoffs recorded
    missing: int = 0  # crossed longer than RECOVERY_WINDOW ago and not recorded
    pending: int = 0  # crossed within RECOVERY_WINDOW and not recorded yet
    duplicated: int = 0
    unexpected: int = 0  # recorded, but not a boundary the core crossed
    wrong_participants: int = 0  # recorded with other from/to participants than the core's
    state_mismatches: int = 0  # settled rotations whose state differs from the core's
    unscheduled: int = 0  # settled rotations not scheduled for their next handoff
    broken: int = 0  # rotations whose stored grid cannot be read (bad data not yet fixed)
    lags: list[float] = field(default_factory=list, repr=False)

    @property
    def max_lag_seconds(self) -> float | None:
        return max(self.lags) if self.lags else None

    @property
    def settled(self) -> bool:
        return self.pending == 0 and self.missing == 0

    @property
    def ok(self) -> bool:
        return (
            self.settled
            and self.duplicated == 0
            and self.unexpected == 0
            and self.wrong_participants == 0
            and self.state_mismatches == 0
            and self.unscheduled == 0
            and self.broken == 0
        )

    def problems(self) -> list[str]:
        names = (
            "missing",
            "pending",
            "duplicated",
            "unexpected",
            "wrong_participants",
            "state_mismatches",
            "unscheduled",
            "broken",
        )
        return [f"{n}={getattr(self, n)}" for n in names if getattr(self, n)]


def check(url: str, fault: str) -> Check:
    """Compare the database with the core for every rotation of `fault`, as of now."""
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.transaction():
        # One snapshot for every read, so a handoff committed meanwhile cannot be half-seen.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        now_row = conn.execute("SELECT handoff_now() AS now").fetchone()
        assert now_row is not None
        as_of: datetime = now_row["now"]
        rows = conn.execute(_ROTATIONS, {"fault": fault}).fetchall()
        participants: dict[uuid.UUID, list[rotation.Participant]] = defaultdict(list)
        for p in conn.execute(_PARTICIPANTS, {"fault": fault}):
            participants[p["rotation_id"]].append(rotation.Participant(p["id"], p["user_id"]))
        history: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        for h in conn.execute(_HISTORY, {"fault": fault}):
            history[h["rotation_id"]].append(h)
        dup_row = conn.execute(_DUPLICATES, {"fault": fault}).fetchone()
    result = Check(rotations=len(rows), duplicated=int(dup_row["duplicated"]) if dup_row else 0)
    for row in rows:
        _check_rotation(result, row, participants[row["id"]], history[row["id"]], as_of)
    return result


def _check_rotation(
    result: Check,
    row: dict[str, Any],
    participants: list[rotation.Participant],
    recorded: list[dict[str, Any]],
    as_of: datetime,
) -> None:
    result.recorded += len(recorded)
    result.lags.extend((h["processed_at"] - h["boundary_at"]).total_seconds() for h in recorded)
    baseline = rotation.State(
        row["base_position"], row["base_participant"], row["base_shift_start"]
    )
    locked = state.Locked(
        id=row["id"],
        name="",
        type=row["type"],
        shift_length=row["shift_length"],
        start=row["start_at"],
        time_zone=row["time_zone"],
        grid_changed_at=row["grid_changed_at"],
        participants=[
            state.ParticipantRow(p.id, p.user_id, i, "") for i, p in enumerate(participants)
        ],
        state=baseline,
        now=as_of,
    )
    try:
        settled = state.settle(locked, strict=True)
    except ValueError:
        result.broken += 1
        return
    expected = {h.at: h for h in settled.rows if h.cause == "boundary"}
    result.boundaries += len(expected)
    seen = {h["boundary_at"]: h for h in recorded}
    unsettled = False
    for at, handoff in expected.items():
        got = seen.get(at)
        if got is None:
            unsettled = True
            if at < as_of - RECOVERY_WINDOW:
                result.missing += 1
            else:
                result.pending += 1
            continue
        if (got["from_participant_id"], got["to_participant_id"]) != (
            handoff.from_participant_id,
            handoff.to_participant_id,
        ):
            result.wrong_participants += 1
    result.unexpected += sum(1 for at in seen if at not in expected)
    if unsettled:
        return
    stored = inputs.state(row)
    if stored != settled.locked.state:
        result.state_mismatches += 1
    if row["job_id"] is None and (
        not row["scheduled"] or row["next_run_at"] != state.next_run_at(settled.locked)
    ):
        result.unscheduled += 1


def settle(
    url: str, fault: str, timeout: timedelta, *, between: Callable[[], object] | None = None
) -> Check:
    """Check until every invariant holds or `timeout` passes; the last check.

    `between` runs between checks (a supervisor restarting workers that died meanwhile).
    """
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        result = check(url, fault)
        if result.ok or time.monotonic() >= deadline:
            return result
        if between is not None:
            between()
        time.sleep(SETTLE_POLL_SECONDS)
