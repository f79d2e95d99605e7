"""The bulk population: set-based, the ids the minimal ceiling's script relies on."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from handoff.bench import population, server

SIZE = 300


def test_population_creates_every_row_and_the_documented_ids(server_url: str) -> None:
    with server.fresh_database(server_url) as url, psycopg.connect(url, autocommit=True) as conn:
        population.reset(conn)
        layout = population.idle_layout(population.now())
        population.populate(conn, SIZE, layout)
        counts = conn.execute(
            """SELECT (SELECT count(*) FROM rotations), (SELECT count(*) FROM participants),
                      (SELECT count(*) FROM users), (SELECT count(*) FROM rotation_state),
                      (SELECT count(*) FROM rotation_schedule),
                      (SELECT count(*) FROM procrastinate_jobs),
                      (SELECT count(*) FROM rotation_schedule
                       WHERE next_run_at < now() + interval '10 minutes')"""
        ).fetchone()
        assert counts == (
            SIZE,
            SIZE * population.PARTICIPANTS_PER_ROTATION,
            population.USERS,
            SIZE,
            SIZE,
            0,  # no queue job before a scenario wants one
            0,  # idle: nothing due within ten minutes
        )
        # Rotation g is md5('bench:' || g), its participant p md5('bench-participant:g:p'),
        # whose user is md5('bench-user:' || (g + p) % USERS) (pgbench.MINIMAL_SCRIPT).
        mismatched = conn.execute(
            """SELECT count(*) FROM generate_series(1, %(n)s) g,
                      generate_series(0, %(p)s - 1) p
               WHERE NOT EXISTS (
                   SELECT 1 FROM participants pp JOIN users u ON u.id = pp.user_id
                   WHERE pp.id = md5('bench-participant:' || g || ':' || p)::uuid
                     AND pp.rotation_id = md5('bench:' || g)::uuid AND pp.position = p
                     AND u.id = md5('bench-user:' || ((g + p) %% %(u)s))::uuid
                     AND u.name = 'bench user ' || ((g + p) %% %(u)s))""",
            {"n": SIZE, "p": population.PARTICIPANTS_PER_ROTATION, "u": population.USERS},
        ).fetchone()
        assert mismatched == (0,)
        population.reset(conn)
        assert conn.execute("SELECT count(*) FROM rotations").fetchone() == (0,)


def test_releasing_some_rotations_leaves_the_others_as_they_were(server_url: str) -> None:
    with server.fresh_database(server_url) as url, psycopg.connect(url, autocommit=True) as conn:
        layout = population.idle_layout(population.now())
        population.populate(conn, SIZE, layout)
        state = "SELECT rotation_id, shift_start FROM rotation_state ORDER BY rotation_id"
        schedule = "SELECT rotation_id, next_run_at FROM rotation_schedule ORDER BY rotation_id"
        before = conn.execute(state).fetchall(), conn.execute(schedule).fetchall()
        due = population.now() + timedelta(seconds=30)
        population.release(conn, 2, layout, first_due=due)
        after = conn.execute(state).fetchall(), conn.execute(schedule).fetchall()
        released = {
            r[0]
            for r in conn.execute(
                "SELECT md5('bench:' || g)::uuid FROM generate_series(1, 2) g"
            ).fetchall()
        }
        for old, new in zip(before, after, strict=True):
            assert [r for r in old if r[0] not in released] == [
                r for r in new if r[0] not in released
            ]
        moved = {r[0]: r[1] for r in after[0] if r[0] in released}
        assert moved == {r[0]: r[1] - layout.step for r in before[0] if r[0] in released}
        assert {r[0]: r[1] for r in after[1] if r[0] in released} == {
            r[0]: due for r in after[1] if r[0] in released
        }
