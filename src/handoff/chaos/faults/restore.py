"""Fault 6: the deployment's database restored from a backup, with jobs lost from its queue.

A real backup: the rotations are written as the deployment held them an hour ago (their state
`RESTORE_AGE` old, subscribed to a channel), a snapshot of that moment is exported, and a
queue worker starts on the database while `pg_dump` dumps it as of the snapshot (a backup of a
running deployment; the live worker catches up on the original meanwhile). `pg_restore` loads
the dump into a fresh, empty database and workers start on the restored one, as an operator
would after losing the original: every boundary since the dump must be recorded there once,
nothing twice, and each rotation's caught-up changes must make one notification summary (a
message in the outbox of a disabled channel, so nothing leaves the machine).

The queue table is in the dump too, so the engine's bookkeeping is in one of three shapes, in
equal parts: the schedule row is owned by a job the queue table no longer holds (jobs deleted,
or never in the dump), the schedule row is gone, or it is simply overdue. The sweep must find
every rotation of the second kind and every overdue one of the first (the dispatcher takes the
third; a lost job's rotation not yet due is the sweep's once it is), and every rotation must
end up scheduled for its next handoff (the invariant checker's `unscheduled`).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import psycopg

from handoff.chaos import backup, invariants, population, server
from handoff.chaos.context import Context, Profile, utcnow
from handoff.chaos.report import FaultResult
from handoff.chaos.workers import Supervisor
from handoff.engine.sweep import OVERDUE_GRACE

NAME = "restore"
RESTORE_AGE = timedelta(hours=1)
WORKERS = 2
SEED = 6
SCHEDULES: tuple[population.Schedule, ...] = ("lost_job", "none", "due")
REPAIR_EVENTS = ("missed update repaired", "unscheduled rotation repaired")
PUBLISH_WAIT = timedelta(seconds=30)  # for the sweep to publish the last staged changes
# No rotation hands off from the restored instant to this long after the fault starts: a
# boundary passing while it runs would be a second run's change, with a message of its own.
QUIET = timedelta(minutes=20)

# Per rotation of the fault: its effective changes recorded and its messages.
_SUMMARIES = """
SELECT b.rotation_id,
       (SELECT count(*) FROM handoffs h
        WHERE h.rotation_id = b.rotation_id AND h.effective) AS changes,
       (SELECT count(*) FROM notify_messages m WHERE m.rotation_id = b.rotation_id) AS messages
FROM chaos_baseline b WHERE b.fault = %s
"""


def _subscribe(url: str, rotation_ids: Sequence[uuid.UUID]) -> None:
    """Subscribe the rotations to one disabled channel: its messages are written, never sent."""
    with psycopg.connect(url) as conn, conn.transaction():
        row = conn.execute(
            "INSERT INTO notify_channels (name, kind, target, disabled_at)"
            " VALUES ('chaos restore', 'slack', 'https://hooks.invalid/restore', now())"
            " RETURNING id"
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO notify_subscriptions (rotation_id, channel_id)"
            " SELECT r, %s FROM unnest(%s::uuid[]) AS r",
            (row[0], list(rotation_ids)),
        )


def _dump_while_running(ctx: Context, kit: backup.Tools, archive: Path) -> float:
    """Dump the database as it is now, while a worker runs on it; the dump's seconds."""
    with (
        Supervisor(ctx.url, ctx.log_dir) as live,
        psycopg.connect(ctx.url) as holder,
        holder.transaction(),
    ):
        holder.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        row = holder.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        live.start("queue", 1)
        began = time.monotonic()
        backup.dump(kit, ctx.url, archive, snapshot=str(row[0]))
        return time.monotonic() - began


def _summaries(url: str) -> tuple[int, list[str]]:
    """Wait for the staged changes to be published; then each rotation with changes must have
    exactly one message, and one without none. Returns the summaries and the problems."""
    deadline = time.monotonic() + PUBLISH_WAIT.total_seconds()
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("SELECT EXISTS (SELECT 1 FROM notify_staged)").fetchone() == (True,):
            if time.monotonic() > deadline:
                return 0, [f"changes still staged after {PUBLISH_WAIT}"]
            time.sleep(0.5)
        rows = conn.execute(_SUMMARIES, (NAME,)).fetchall()
    summaries = sum(1 for r in rows if r[1] and r[2] == 1)
    wrong = [r for r in rows if r[2] != (1 if r[1] else 0)]
    if not wrong:
        return summaries, []
    sample = ", ".join(f"{r[0]}: {r[1]} changes, {r[2]} messages" for r in wrong[:3])
    return summaries, [f"{len(wrong)} rotations without one summary per catch-up ({sample})"]


def _recorded(url: str) -> int:
    """Handoffs of the fault's rotations in the database."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM handoffs h JOIN chaos_baseline b USING (rotation_id)"
            " WHERE b.fault = %s",
            (NAME,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def run(ctx: Context, profile: Profile) -> FaultResult:
    began = time.monotonic()
    since = utcnow() - RESTORE_AGE
    quiet = (since + RESTORE_AGE, since + RESTORE_AGE + QUIET)
    planned = population.behind(
        profile.restore_rotations, since, seed=SEED, schedules=SCHEDULES, quiet=quiet
    )
    _subscribe(ctx.url, population.write(ctx.url, NAME, planned))
    kit = backup.tools(ctx.url)
    ctx.say(f"{NAME}: {len(planned)} rotations an hour behind; dumping with {kit.describe()}")
    with tempfile.TemporaryDirectory(prefix="hochaos-dump-") as temp:
        archive = Path(temp) / "handoff.dump"
        dump_seconds = _dump_while_running(ctx, kit, archive)
        size = archive.stat().st_size
        with server.empty_database(ctx.server) as restored:
            restore_began = time.monotonic()
            backup.restore(kit, archive, restored)
            restore_seconds = time.monotonic() - restore_began
            in_dump = _recorded(restored)
            # Rotations owned by a lost job are the sweep's once overdue; before that, not yet.
            overdue = utcnow() - OVERDUE_GRACE
            needs_sweep = sum(
                1
                for p in planned
                if p.schedule == "none"
                or (p.schedule == "lost_job" and p.grid.end_time(p.shift_start) < overdue)
            )
            with Supervisor(restored, ctx.log_dir) as workers:
                workers.start("queue", WORKERS)
                check = invariants.settle(
                    restored, NAME, profile.settle, between=workers.restart_dead
                )
                summaries, failures = _summaries(restored)
                logged = workers.log_events()
    repaired = sum(logged[e] for e in REPAIR_EVENTS)
    if in_dump:
        failures.append(f"the dump already held {in_dump} of the fault's handoffs")
    if repaired < needs_sweep:
        failures.append(f"the sweep repaired {repaired} rotations, {needs_sweep} needed it")
    load = (
        f"{len(planned):,} rotations whose state is {RESTORE_AGE} old (a third owned by "
        "deleted jobs, a third without a schedule row, a third plainly overdue), dumped with "
        f"pg_dump while a worker ran, restored with pg_restore into a fresh database; "
        f"{WORKERS} queue workers started on it"
    )
    events: dict[str, float | int | str] = {
        "client tools": kit.describe(),
        "dump seconds": round(dump_seconds, 1),
        "dump bytes": size,
        "restore seconds": round(restore_seconds, 1),
        "handoffs in the dump": in_dump,
        "summaries (one per rotation that changed)": summaries,
        "needing the sweep": needs_sweep,
        "repaired by the sweep": repaired,
    }
    return FaultResult(NAME, load, check, time.monotonic() - began, events, failures)
