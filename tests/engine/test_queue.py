"""The dispatcher, the sweep and the batch engine, through the database."""

from __future__ import annotations

import json
import math
import time
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import psycopg
import pytest
from procrastinate.jobs import Job
from psycopg_pool import AsyncConnectionPool

from handoff.engine import metrics
from handoff.engine.app import RETRY, RETRY_MAX_WAIT
from handoff.engine.batch import BATCH_LOCK, BatchEngine
from handoff.engine.dispatcher import (
    BATCH_SIZE,
    DISPATCHER_LOCK,
    MAX_SLEEP,
    SPREAD,
    WAKE_MARGIN,
    Dispatcher,
)
from handoff.engine.process import Processor
from handoff.engine.sweep import FAILED_JOB_COOLDOWN, OVERDUE_GRACE, Sweep
from handoff.grid import Grid
from handoff.store import status
from handoff.store.clock import ClockSeam
from handoff.store.db import connect
from handoff.store.queries import Queries
from handoff.worker import build_app

from .helpers import Conn, add, history, on_call, rotation, run_jobs, schedule, user

Q = Queries("engine")
HOUR = timedelta(hours=1)


def _bulk_rotations(conn: Conn, count: int, next_run_at: datetime | None, prefix: str) -> None:
    """Insert rotations and their schedule rows fast, bypassing the triggers' jobs."""
    conn.execute(
        "WITH r AS (INSERT INTO rotations (name, type, start_at, time_zone)"
        " SELECT %s || g, 'daily', date_trunc('minute', now()), 'UTC'"
        " FROM generate_series(1, %s) g RETURNING id)"
        " INSERT INTO rotation_schedule (rotation_id, next_run_at) SELECT id, %s FROM r",
        (prefix, count, next_run_at),
    )


def _jobs(conn: Conn) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, args, scheduled_at, queueing_lock FROM procrastinate_jobs ORDER BY id"
    ).fetchall()


async def test_dispatcher_batches_rotations_due_at_the_same_instant(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    soon = clock.now() + timedelta(milliseconds=300)
    past = clock.now() - timedelta(seconds=3)
    _bulk_rotations(conn, 2000, soon, "storm-")
    _bulk_rotations(conn, 3, past, "late-")
    _bulk_rotations(conn, 5, soon + HOUR, "later-")
    tick = await Dispatcher(pool).tick()
    assert tick.leader and tick.dispatched == 2003
    # Durations on the database's clock: the storm's jobs come due in 300 ms (one instant for
    # all), the next run in an hour and 300 ms.
    assert len(tick.wake_in) == 1 and 0.2 < next(iter(tick.wake_in)) <= 0.3
    assert tick.due_in is not None and abs(tick.due_in - (HOUR.total_seconds() + 0.3)) < 1e-6
    jobs = _jobs(conn)
    storm = [j for j in jobs if j["scheduled_at"] is not None]
    assert len({j["scheduled_at"] for j in storm}) == 1
    chunk = min(BATCH_SIZE, math.ceil(2000 / SPREAD))
    assert sorted(len(j["args"]["rotation_ids"]) for j in storm)[1:] == [chunk] * (
        math.ceil(2000 / chunk) - 1
    )
    late = [j for j in jobs if j["scheduled_at"] is None]
    assert [len(j["args"]["rotation_ids"]) for j in late] == [1, 1, 1]  # spread, not batched
    assert all(j["queueing_lock"] == f"rotation:{j['args']['rotation_ids'][0]}" for j in late)
    assert all(j["queueing_lock"] is None for j in storm)
    owned = conn.execute(
        "SELECT count(*) AS n FROM rotation_schedule s JOIN procrastinate_jobs j"
        " ON j.id = s.job_id AND j.args->'rotation_ids' ? s.rotation_id::text"
    ).fetchone()
    assert owned and owned["n"] == 2003
    again = await Dispatcher(pool).tick()
    assert again.dispatched == 0 and len(_jobs(conn)) == len(jobs)


async def test_dispatcher_wakes_the_workers_at_the_scheduled_instant(
    db_url: str, conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    soon = clock.now() + timedelta(milliseconds=300)
    _bulk_rotations(conn, 2, soon, "soon-")
    _bulk_rotations(conn, 1, soon + HOUR, "later-")
    dispatcher = Dispatcher(pool)
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute('LISTEN "procrastinate_queue_v1#rotations"')
        before = time.monotonic()
        next_tick = await dispatcher._step(0.0, before)
        after = time.monotonic()
        # Queued ahead, to be woken 300 ms later by this process's own monotonic clock (plus
        # the margin that keeps the NOTIFY after the instant); the next tick within MAX_SLEEP.
        (wake,) = dispatcher._wakeups
        assert before + 0.3 <= wake - WAKE_MARGIN.total_seconds() + 0.005
        assert wake <= after + 0.3 + WAKE_MARGIN.total_seconds()
        assert next_tick <= after + MAX_SLEEP.total_seconds() * 1.1
        inserted = [json.loads(n.payload) for n in listener.notifies(timeout=0.3)]
        assert len(inserted) == 2 and all(n["job_id"] > 0 for n in inserted)
        await dispatcher._step(next_tick, wake - 0.001)  # not yet: no NOTIFY
        assert [n.payload for n in listener.notifies(timeout=0.1)] == []
        await dispatcher._step(next_tick, wake)
        woken = [json.loads(n.payload) for n in listener.notifies(timeout=0.3)]
    assert woken == [{"type": "job_inserted", "job_id": 0}]
    assert dispatcher._wakeups == set()


async def test_a_change_reuses_the_waiting_dispatched_job(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    rid = rotation(conn, "ops", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"))
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("UPDATE rotation_schedule SET job_id = NULL, next_run_at = %s", (clock.now(),))
    assert (await Dispatcher(pool).tick()).dispatched == 1
    add(conn, rid, user(conn, "bob"))
    jobs = _jobs(conn)
    assert len(jobs) == 1 and schedule(conn, rid)["job_id"] == jobs[0]["id"]  # type: ignore[index]


async def test_only_one_dispatcher_works_at_a_time(
    db_url: str, conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    _bulk_rotations(conn, 3, clock.now() - HOUR, "due-")
    with connect(db_url) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (DISPATCHER_LOCK,))
        tick = await Dispatcher(pool).tick()
        assert not tick.leader and tick.dispatched == 0
    assert (await Dispatcher(pool).tick()).dispatched == 3


async def test_dispatched_storm_is_processed_once_per_rotation(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, processor: Processor
) -> None:
    start = clock.now().replace(second=0, microsecond=0) - 2 * HOUR
    ann, bob = user(conn, "ann"), user(conn, "bob")
    ids = [rotation(conn, f"r{i}", start, type="hourly") for i in range(30)]
    for rid in ids:
        add(conn, rid, ann, bob)
    await run_jobs(conn, processor)
    boundary = Grid("hourly", 1, start, "UTC").end_time(clock.now())
    clock.set(boundary)
    assert (await Dispatcher(pool).tick()).dispatched == 30
    assert await run_jobs(conn, processor) == 30  # fewer rotations than SPREAD: one per job
    for rid in ids:
        assert on_call(conn, rid)[:2] == (1, "bob")  # type: ignore[index]
        assert history(conn, rid)[-1] == ("boundary", boundary, "ann", "bob")
        assert schedule(conn, rid) == {"next_run_at": boundary + HOUR, "job_id": None}


@pytest.fixture
async def app(pool: AsyncConnectionPool[Any]) -> AsyncIterator[procrastinate.App]:
    built = build_app(procrastinate.PsycopgConnector())
    async with built.open_async(pool):
        yield built


async def _lost_rotation(conn: Conn, processor: Processor, clock: ClockSeam) -> Any:
    """A started rotation whose next run is overdue beyond the grace period."""
    rid = rotation(conn, "lost", clock.now().replace(second=0, microsecond=0) - 3 * HOUR)
    add(conn, rid, user(conn, "ann"), user(conn, "bob"))
    await run_jobs(conn, processor)
    conn.execute(
        "UPDATE rotation_schedule SET next_run_at = %s, job_id = 424242 WHERE rotation_id = %s",
        (clock.now() - OVERDUE_GRACE - timedelta(seconds=1), rid),
    )
    return rid


async def test_sweep_repairs_a_rotation_whose_job_was_deleted(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    processor: Processor,
    clock: ClockSeam,
    app: procrastinate.App,
) -> None:
    rid = await _lost_rotation(conn, processor, clock)
    before = metrics.DISPATCH_REPAIRS._value.get()
    result = await Sweep(pool, app).sweep()
    assert result and result.repaired == [rid]
    assert metrics.DISPATCH_REPAIRS._value.get() == before + 1
    status = conn.execute("SELECT value FROM engine_status WHERE key = 'sweep'").fetchone()
    assert status and status["value"]["repairs"] == 1
    waiting = schedule(conn, rid)
    assert waiting and waiting["job_id"] in [j["id"] for j in _jobs(conn)]
    assert await run_jobs(conn, processor) == 1
    assert (await Sweep(pool, app).sweep()) == type(result)([], [])


async def test_sweep_waits_out_the_cooldown_counted_from_the_failure(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    processor: Processor,
    clock: ClockSeam,
    app: procrastinate.App,
) -> None:
    """A job that exhausts its retries long after its rotation came due: the sweep takes the
    rotation up again FAILED_JOB_COOLDOWN after the failure, not after the due time."""
    rid = rotation(conn, "broken", clock.now().replace(second=0, microsecond=0) - 3 * HOUR)
    add(conn, rid, user(conn, "ann"), user(conn, "bob"))
    await run_jobs(conn, processor)
    conn.execute("UPDATE rotations SET time_zone = 'Mars/Olympus' WHERE id = %s", (rid,))
    clock.advance(timedelta(minutes=8))  # the retries' backoff, as production spends it
    assert await run_jobs(conn, processor, failures=1) == 1
    failed = conn.execute(
        "SELECT s.failed_at, s.last_error, j.status FROM rotation_schedule s"
        " JOIN procrastinate_jobs j ON j.id = s.job_id WHERE s.rotation_id = %s",
        (rid,),
    ).fetchone()
    assert failed and failed["status"] == "failed" and failed["failed_at"] == clock.now()
    assert "Mars/Olympus" in failed["last_error"]
    async with pool.connection() as aconn:
        shown = (await status.engine_status(aconn, now=clock.now())).cooling_down
    assert [(c.rotation_id, c.name, c.retry_at) for c in shown] == [
        (rid, "broken", clock.now() + FAILED_JOB_COOLDOWN)
    ]
    assert shown[0].last_error and "Mars/Olympus" in shown[0].last_error
    sweep = Sweep(pool, app)
    assert (await sweep.repair(scan_unscheduled=False)) == []
    clock.advance(FAILED_JOB_COOLDOWN - timedelta(seconds=1))
    assert (await sweep.repair(scan_unscheduled=False)) == []
    clock.advance(timedelta(seconds=1))
    assert (await sweep.repair(scan_unscheduled=False)) == [rid]
    conn.execute("UPDATE rotations SET time_zone = 'UTC' WHERE id = %s", (rid,))
    assert await run_jobs(conn, processor) >= 1
    fixed = schedule(conn, rid)
    assert fixed and fixed["job_id"] is None
    cleared = conn.execute(
        "SELECT failed_at, last_error FROM rotation_schedule WHERE rotation_id = %s", (rid,)
    ).fetchone()
    assert cleared == {"failed_at": None, "last_error": None}


async def test_sweep_finds_rotations_the_schedule_does_not_cover(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    processor: Processor,
    clock: ClockSeam,
    app: procrastinate.App,
) -> None:
    rid = rotation(conn, "restored", clock.now().replace(second=0, microsecond=0))
    add(conn, rid, user(conn, "ann"))
    conn.execute("DELETE FROM procrastinate_jobs")
    conn.execute("DELETE FROM rotation_schedule")  # as after restoring a partial backup
    sweep = Sweep(pool, app)
    assert (await sweep.repair(scan_unscheduled=False)) == []
    assert (await sweep.repair(scan_unscheduled=True)) == [rid]
    await run_jobs(conn, processor)
    assert on_call(conn, rid)[:2] == (0, "ann")  # type: ignore[index]


async def test_sweep_retries_the_jobs_of_a_dead_worker(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    worker = conn.execute(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour')"
        " RETURNING id"
    ).fetchone()
    assert worker
    job = conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id)"
        " VALUES ('rotations', 'update_rotations', '{\"rotation_ids\": []}', 'doing', %s)"
        " RETURNING id",
        (worker["id"],),
    ).fetchone()
    assert job
    assert await Sweep(pool, app).retry_stalled_jobs() == [job["id"]]
    row = conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job["id"],))
    assert row.fetchone() == {"status": "todo"}


async def test_a_stalled_job_that_finished_meanwhile_is_left_alone(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    clock: ClockSeam,
    app: procrastinate.App,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After an outage a 'stalled' worker may just have been slow: its job finished between
    the sweep's look and its retry. That race is expected and changes nothing."""
    worker = conn.execute(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour')"
        " RETURNING id"
    ).fetchone()
    assert worker
    conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id)"
        " VALUES ('rotations', 'update_rotations', '{\"rotation_ids\": []}', 'doing', %s)",
        (worker["id"],),
    )
    stalled = await app.job_manager.get_stalled_jobs(queue="rotations")
    conn.execute("UPDATE procrastinate_jobs SET status = 'succeeded'")

    async def seen_before_it_finished(**_: Any) -> Any:
        return stalled

    monkeypatch.setattr(app.job_manager, "get_stalled_jobs", seen_before_it_finished)
    assert await Sweep(pool, app).retry_stalled_jobs() == []
    row = conn.execute("SELECT status FROM procrastinate_jobs").fetchone()
    assert row == {"status": "succeeded"}


def _plan(conn: Conn, query: str, params: dict[str, Any]) -> str:
    rows = conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + query, params).fetchall()
    return "\n".join(r["QUERY PLAN"] for r in rows)


def _dispatch_plan(conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam) -> str:
    """The dispatcher's statement as it runs now, under EXPLAIN ANALYZE, rolled back."""
    params = Dispatcher(pool).dispatch_params()
    with connect(conn.info.dsn) as tx:
        plan = _plan(tx, Q["dispatch_due"], params)
        tx.rollback()
    return plan


async def test_idle_schedule_reads_no_rotation_rows(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, app: procrastinate.App
) -> None:
    """100,000 rotations, none due: the dispatcher and sweep read index entries only."""
    _bulk_rotations(conn, 50_000, clock.now() + HOUR, "a-")
    _bulk_rotations(conn, 50_000, clock.now() + 24 * HOUR, "b-")
    conn.execute(
        "UPDATE rotation_schedule SET job_id = 1"
        " WHERE rotation_id IN (SELECT rotation_id FROM rotation_schedule LIMIT 50000)"
    )
    conn.execute("ANALYZE rotation_schedule")
    conn.execute("ANALYZE procrastinate_jobs")
    plan = _dispatch_plan(conn, pool, clock)
    assert "rotation_schedule_due_idx" in plan and "Seq Scan on rotation_schedule" not in plan
    plan = _plan(conn, Q["next_due"], {})
    # schedule_state is empty here: scanning it is the planner's cheapest way, as it should be.
    assert "rotation_schedule_due_idx" in plan and "Seq Scan on rotation_schedule" not in plan
    plan = _plan(
        conn,
        Q["lost_rotations"],
        {"grace": OVERDUE_GRACE, "cooldown": FAILED_JOB_COOLDOWN, "limit": 1000},
    )
    assert "rotation_schedule_owned_idx" in plan and "Seq Scan on rotation_schedule" not in plan
    plan = _plan(conn, Q["overdue_count"], {"grace": OVERDUE_GRACE})
    assert "Seq Scan" not in plan
    conn.execute("UPDATE rotation_schedule SET job_id = NULL")
    tick = await Dispatcher(pool).tick()
    assert tick.dispatched == 0 and tick.due_in is not None
    sweep = await Sweep(pool, app).sweep()
    assert sweep and sweep.repaired == []
    count = conn.execute("SELECT count(*) AS n FROM procrastinate_jobs").fetchone()
    assert count == {"n": 0}  # no far-future jobs in the queue


def test_dispatching_a_few_due_rotations_reads_only_their_rows(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    """Rotations due at scattered instants become many small jobs; each finds its schedule
    rows by primary key, never by scanning the schedule once per job."""
    _bulk_rotations(conn, 10_000, clock.now() + HOUR, "idle-")
    for i in range(40):
        _bulk_rotations(conn, 1, clock.now() - timedelta(milliseconds=i), f"due-{i}-")
    conn.execute("ANALYZE rotation_schedule")
    plan = _dispatch_plan(conn, pool, clock)
    assert "Seq Scan on rotation_schedule" not in plan, plan
    assert "rows=10040" not in plan, plan  # no node reads the whole schedule


async def test_batch_engine_hands_off_with_the_same_rules(
    conn: Conn, pool: AsyncConnectionPool[Any], clock: ClockSeam, processor: Processor
) -> None:
    start = clock.now().replace(second=0, microsecond=0) - 2 * HOUR
    ann, bob = user(conn, "ann"), user(conn, "bob")
    ids = [rotation(conn, f"r{i}", start, type="hourly") for i in range(5)]
    for rid in ids:
        add(conn, rid, ann, bob)
    broken = rotation(conn, "broken", start, type="hourly")
    add(conn, broken, ann)
    conn.execute("UPDATE rotations SET time_zone = 'Mars/Olympus' WHERE id = %s", (broken,))
    conn.execute("DELETE FROM procrastinate_jobs")  # no queue engine in this deployment
    conn.execute("UPDATE rotation_schedule SET job_id = NULL")
    engine = BatchEngine(pool, interval=timedelta(seconds=5), max_advances=3)
    first = await engine.cycle()  # nobody has state yet: the batch engine starts them
    assert first.leader and first.applied == 3
    await engine.cycle()
    assert all(on_call(conn, rid)[:2] == (0, "ann") for rid in ids)  # type: ignore[index]
    boundary = Grid("hourly", 1, start, "UTC").end_time(clock.now())
    clock.set(boundary + timedelta(seconds=1))
    cycles = [await engine.cycle() for _ in range(2)]
    assert [c.applied for c in cycles] == [3, 2]  # at most max_advances per cycle
    for rid in ids:
        assert history(conn, rid)[-1] == ("boundary", boundary, "ann", "bob")
        assert schedule(conn, rid)["next_run_at"] == boundary + HOUR  # type: ignore[index]
    assert on_call(conn, broken) is None
    engines = conn.execute("SELECT DISTINCT engine FROM handoffs").fetchall()
    assert engines == [{"engine": "batch"}]
    # The queue engine running the same rotations afterwards changes nothing twice.
    await processor.run_job(None, ids)
    count = conn.execute("SELECT count(*) AS n FROM handoffs WHERE cause = 'boundary'")
    assert count.fetchone() == {"n": 5}


async def test_only_one_batch_engine_works_at_a_time(
    db_url: str, pool: AsyncConnectionPool[Any], clock: ClockSeam
) -> None:
    engine = BatchEngine(pool, interval=timedelta(seconds=5), max_advances=150)
    with connect(db_url) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (BATCH_LOCK,))
        assert not (await engine.cycle()).leader
    assert (await engine.cycle()).leader


def test_retries_back_off_exponentially_up_to_a_ceiling() -> None:
    def wait(attempts: int) -> float:
        job = Job(
            id=1,
            queue="rotations",
            lock=None,
            queueing_lock=None,
            task_name="update_rotations",
            attempts=attempts,
        )
        decision = RETRY.get_retry_decision(exception=ValueError(), job=job)
        assert decision and decision.retry_at
        return (decision.retry_at - datetime.now(UTC)).total_seconds()

    assert 1 < wait(0) <= 2 and 7 < wait(2) <= 8
    assert wait(9) <= RETRY_MAX_WAIT.total_seconds()
    job = Job(
        id=1,
        queue="rotations",
        lock=None,
        queueing_lock=None,
        task_name="update_rotations",
        attempts=100,
    )
    assert RETRY.get_retry_decision(exception=ValueError(), job=job) is None


def test_metrics_are_served_under_their_contract_names() -> None:
    port = metrics.serve(0, host="127.0.0.1")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    for name in (
        "handoff_handoffs_total",
        "handoff_lag_seconds_bucket",
        "handoff_jobs",
        "handoff_job_duration_seconds_bucket",
        "handoff_job_failures_total",
        "handoff_dispatch_repairs_total",
        "handoff_rotations_overdue",
        "handoff_batch_cycle_seconds_bucket",
        "process_resident_memory_bytes",
    ):
        # The HELP line: a labelled metric has no sample before its first labels are used.
        assert f"# HELP {name.removesuffix('_bucket')} " in text, name
