"""`handoff import goalert` against a database built with GoAlert's schema (import.md)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest

from handoff.store.clock import ClockSeam
from handoff.store.db import connect

from .conftest import Cli, goalert_migrations, record_migrations
from .world import STALE_BOUNDARIES, World, add, build, dump, rotation, set_state, state, user

HANDOFF_TABLES = (
    "users",
    "rotations",
    "participants",
    "rotation_state",
    "rotation_schedule",
    "handoffs",
    "procrastinate_jobs",
    "goalert_imported_rotations",
    "goalert_imported_users",
)


@pytest.fixture
def world(goalert_url: str) -> World:
    with connect(goalert_url, autocommit=True) as conn:
        return build(conn)


def sql(url: str, query: str, *params: object) -> list[dict[str, Any]]:
    with connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return list(cur.fetchall()) if cur.description else []


def goalert_rows(url: str) -> dict[str, list[str]]:
    with connect(url, autocommit=True) as conn:
        return dump(conn)


def handoff_rows(url: str) -> dict[str, list[str]]:
    """Every row of handoff's tables the import writes, as text."""
    return {
        table: [r["row"] for r in sql(url, f"SELECT t::text AS row FROM {table} t ORDER BY 1")]  # noqa: S608
        for table in HANDOFF_TABLES
    }


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in report["rotations"]}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_dry_run_reports_and_changes_nothing(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    before = handoff_rows(db_url)
    report = cli.json("import", "goalert", "--from", goalert_url, "--dry-run")
    assert report["dry_run"] is True
    assert report["counts"] == {
        "created": 8,
        "updated": 0,
        "unchanged": 0,
        "conflict": 0,
        "invalid": 0,
    }
    assert report["users"] == {"created": 3, "updated": 0}
    assert handoff_rows(db_url) == before


def test_import_keeps_ids_on_call_and_shift_start(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    goalert_before = goalert_rows(goalert_url)
    report = cli.json("import", "goalert", "--from", goalert_url)
    assert report["counts"]["created"] == 8 and report["users"]["created"] == 3
    # the import is audited as such, each person and rotation it made (people.md)
    made = sql(db_url, "SELECT DISTINCT via, action FROM audit_log")
    assert {m["via"] for m in made} == {"import"}
    assert {"user.create", "rotation.create"} <= {m["action"] for m in made}
    with connect(goalert_url, autocommit=True) as conn:
        for name, rid in world.rotations.items():
            theirs = conn.execute(
                "SELECT name, description, type::text, shift_length, start_time, time_zone"
                " FROM rotations WHERE id = %s",
                (rid,),
            ).fetchone()
            assert theirs
            ours = sql(
                db_url,
                "SELECT name, description, type, shift_length, start_at, time_zone"
                " FROM rotations WHERE id = %s",
                rid,
            )[0]
            assert ours == {
                "name": theirs["name"],
                "description": theirs["description"],
                "type": theirs["type"],
                "shift_length": theirs["shift_length"],
                "start_at": theirs["start_time"],
                "time_zone": theirs["time_zone"],
            }
            participants = conn.execute(
                "SELECT id, user_id, position FROM rotation_participants"
                " WHERE rotation_id = %s ORDER BY position",
                (rid,),
            ).fetchall()
            assert participants == sql(
                db_url,
                "SELECT id, user_id, position FROM participants"
                " WHERE rotation_id = %s ORDER BY position",
                rid,
            )
            if not participants:
                assert sql(db_url, "SELECT * FROM rotation_state WHERE rotation_id = %s", rid) == []
                continue
            goalert_state = state(conn, rid)
            ours_state = sql(
                db_url,
                "SELECT participant_id, position, shift_start FROM rotation_state"
                " WHERE rotation_id = %s",
                rid,
            )[0]
            # The participant on call, not only the position; shift_start to the microsecond.
            assert ours_state == {
                "participant_id": goalert_state["rotation_participant_id"],
                "position": goalert_state["position"],
                "shift_start": goalert_state["shift_start"],
            }
            # The next handoff is end_time(shift_start) on handoff's grid.
            schedule = sql(
                db_url, "SELECT next_run_at FROM rotation_schedule WHERE rotation_id = %s", rid
            )[0]
            grid = world.grid(conn, name)
            assert schedule["next_run_at"] == grid.end_time(goalert_state["shift_start"])
            # The history starts with one row, cause imported.
            history = sql(
                db_url,
                "SELECT cause, boundary_at, to_participant_id, from_participant_id FROM handoffs"
                " WHERE rotation_id = %s",
                rid,
            )
            assert history == [
                {
                    "cause": "imported",
                    "boundary_at": goalert_state["shift_start"],
                    "to_participant_id": goalert_state["rotation_participant_id"],
                    "from_participant_id": None,
                }
            ]
    twice = sql(
        db_url,
        "SELECT s.position, p.user_id FROM rotation_state s JOIN participants p"
        " ON p.id = s.participant_id WHERE s.rotation_id = %s",
        world.rotations["Twice"],
    )
    assert twice == [{"position": 2, "user_id": world.users["Ann"]}]  # the second Ann
    people = sql(db_url, "SELECT id, name, email FROM users ORDER BY name")
    assert people == [
        {"id": world.users["Ann"], "name": "Ann Lee", "email": "ann@example.com"},
        {"id": world.users["Bo"], "name": "Bo Chen", "email": None},
        {"id": world.users["Cy"], "name": "Cy Diaz", "email": "cy@example.com"},
    ]  # Dee is in no rotation
    assert goalert_rows(goalert_url) == goalert_before


def test_report_lists_stale_states_and_goalert_differences(
    cli: Cli, goalert_url: str, world: World
) -> None:
    report = cli.json("import", "goalert", "--from", goalert_url, "--dry-run")
    rotations = by_name(report)
    assert rotations["Stale"]["stale_boundaries"] == STALE_BOUNDARIES
    assert {n for n, r in rotations.items() if r["stale_boundaries"]} == {"Stale"}
    differences = {d["name"]: d for d in report["differences"]}
    assert set(differences) == {"Sales", "Legacy"}
    # Sales: monthly from a Feb 29, next handing off in a common year: handoff clamps to
    # Feb 28, GoAlert overflows to Mar 1 (time-grid.md, fix 3).
    year = world.sales_next_year
    assert utc(differences["Sales"]["handoff"]) == datetime(year, 2, 28, 8, tzinfo=UTC)
    assert utc(differences["Sales"]["goalert"]) == datetime(year, 3, 1, 8, tzinfo=UTC)
    assert "version 1" in differences["Legacy"]["reason"]
    text = cli("import", "goalert", "--from", goalert_url, "--dry-run")
    assert text.exit_code == 0
    assert "differences from GoAlert's own time math" in text.stdout
    assert f"stale: the engine records {STALE_BOUNDARIES} missed boundaries" in text.stdout
    assert "dry run: nothing changed" in text.stdout


def test_rerun_follows_goalert_and_leaves_the_rest(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    cli.json("import", "goalert", "--from", goalert_url)
    again = cli.json("import", "goalert", "--from", goalert_url)
    assert again["counts"]["unchanged"] == 8 and again["users"] == {"created": 0, "updated": 0}
    history = sql(db_url, "SELECT count(*) AS n FROM handoffs")[0]["n"]
    # Changes in handoff meanwhile: someone hands a shift over by hand.
    twice = world.rotations["Twice"]
    cli_result = cli("rotation", "set-active", str(twice), "2")
    assert cli_result.exit_code == 0, cli_result.stderr
    handed = sql(db_url, "SELECT participant_id FROM rotation_state WHERE rotation_id = %s", twice)
    # Changes in GoAlert meanwhile: its engine hands Payments on, Database is renamed and gains
    # a person, Bo gets an email.
    with connect(goalert_url, autocommit=True) as conn:
        goalert_before_edit = state(conn, world.rotations["Payments"])
        set_state(conn, world.rotations["Payments"], world.participants["Payments"][2], world.now)
        conn.execute(
            "UPDATE rotations SET name = 'Databases' WHERE id = %s", (world.rotations["Database"],)
        )
        dee = add(conn, world.rotations["Database"], world.users["Dee"])
        conn.execute(
            "UPDATE users SET email = 'bo@example.com' WHERE id = %s", (world.users["Bo"],)
        )
        goalert_before = dump(conn)
    report = cli.json("import", "goalert", "--from", goalert_url)
    assert goalert_rows(goalert_url) == goalert_before
    outcomes = {r["name"]: r["outcome"] for r in report["rotations"]}
    assert outcomes.pop("Payments") == "updated" and outcomes.pop("Databases") == "updated"
    assert set(outcomes.values()) == {"unchanged"}
    assert report["users"] == {"created": 1, "updated": 1}
    payments = sql(
        db_url,
        "SELECT participant_id, shift_start FROM rotation_state WHERE rotation_id = %s",
        world.rotations["Payments"],
    )
    assert payments == [
        {"participant_id": world.participants["Payments"][2], "shift_start": world.now}
    ]
    imported = sql(
        db_url,
        "SELECT from_participant_id, to_participant_id, boundary_at FROM handoffs"
        " WHERE rotation_id = %s AND cause = 'imported' ORDER BY id",
        world.rotations["Payments"],
    )
    assert imported[-1] == {
        "from_participant_id": goalert_before_edit["rotation_participant_id"],
        "to_participant_id": world.participants["Payments"][2],
        "boundary_at": world.now,
    }
    database = sql(
        db_url,
        "SELECT r.name, array_agg(p.id ORDER BY p.position) AS ids FROM rotations r"
        " JOIN participants p ON p.rotation_id = r.id WHERE r.id = %s GROUP BY r.name",
        world.rotations["Database"],
    )
    assert database == [{"name": "Databases", "ids": [*world.participants["Database"], dee]}]
    assert sql(db_url, "SELECT email FROM users WHERE id = %s", world.users["Bo"]) == [
        {"email": "bo@example.com"}
    ]
    # Twice was not changed in GoAlert: the hand-over made in handoff stays.
    assert (
        sql(db_url, "SELECT participant_id FROM rotation_state WHERE rotation_id = %s", twice)
        == handed
    )
    added = sql(db_url, "SELECT count(*) AS n FROM handoffs")[0]["n"] - history
    assert added == 2  # the manual hand-over in handoff, and Payments' import


def test_a_name_taken_in_handoff_is_a_conflict_and_the_rest_is_imported(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    made = cli(
        "rotation",
        "create",
        "Payments",
        "--type",
        "daily",
        "--start",
        "2026-01-01T00:00Z",
        "--zone",
        "UTC",
    )
    assert made.exit_code == 0, made.stderr
    ours = sql(db_url, "SELECT t::text AS row FROM rotations t WHERE name = 'Payments'")
    report = cli.json("import", "goalert", "--from", goalert_url, code=1)
    rotations = by_name(report)
    assert rotations["Payments"]["outcome"] == "conflict"
    assert "already has a rotation named 'Payments'" in rotations["Payments"]["message"]
    assert report["counts"]["created"] == 7
    assert sql(db_url, "SELECT t::text AS row FROM rotations t WHERE name = 'Payments'") == ours
    assert sql(db_url, "SELECT 1 FROM rotations WHERE id = %s", world.rotations["Payments"]) == []


def test_an_unknown_zone_is_reported_for_its_rotation_alone(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    with connect(goalert_url, autocommit=True) as conn:
        mars = rotation(conn, "Mars", "daily", 1, "2026-01-01T00:00Z", "Mars/Olympus_Mons")
        add(conn, mars, user(conn, "Eve Fox"))
        long = rotation(conn, "Long", "hourly", 9001, "2026-01-01T00:00Z", "UTC")
        bell = rotation(conn, "Bell", "daily", 1, "2026-01-01T00:00Z", "UTC")
        add(conn, bell, user(conn, "Ring\x07er"))
        # A state naming another rotation's participant (GoAlert's key only checks it exists).
        other = rotation(conn, "Other", "daily", 1, "2026-01-01T00:00Z", "UTC")
        add(conn, other, world.users["Ann"])
        set_state(conn, other, world.participants["Edge"][0], world.now)
    report = cli.json("import", "goalert", "--from", goalert_url, code=1)
    rotations = by_name(report)
    assert rotations["Mars"]["outcome"] == "invalid"
    assert "Mars/Olympus_Mons" in rotations["Mars"]["message"]
    assert rotations["Long"]["outcome"] == "invalid"
    assert "shift_length" in rotations["Long"]["message"]
    assert rotations["Bell"]["outcome"] == "invalid"
    assert "control characters" in rotations["Bell"]["message"]
    assert rotations["Other"]["outcome"] == "invalid"
    assert "participant not in the rotation" in rotations["Other"]["message"]
    assert report["counts"]["created"] == 8
    assert sql(db_url, "SELECT 1 FROM rotations WHERE id = ANY(%s)", [mars, long, bell]) == []
    assert sql(db_url, "SELECT 1 FROM users WHERE name = 'Eve Fox'") == []


def test_only_the_named_rotations(cli: Cli, db_url: str, goalert_url: str, world: World) -> None:
    report = cli.json(
        "import", "goalert", "--from", goalert_url, "--rotation", "stale", "--rotation", "Empty"
    )
    assert sorted(r["name"] for r in report["rotations"]) == ["Empty", "Stale"]
    assert {r["name"] for r in sql(db_url, "SELECT name FROM rotations")} == {"Empty", "Stale"}
    assert {r["name"] for r in sql(db_url, "SELECT name FROM users")} == {"Ann Lee", "Cy Diaz"}


def test_a_role_with_the_documented_grants_can_import(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    """The read-only role of the README: read-only by default; CONNECT, USAGE and SELECT on
    five tables."""
    role = f"goalert_reader_{secrets.token_hex(4)}"
    database = urlsplit(goalert_url).path.lstrip("/")
    with connect(goalert_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
        conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.execute(
            "GRANT SELECT ON users, rotations, rotation_participants, rotation_state,"
            f' gorp_migrations TO "{role}"'
        )
    try:
        url = goalert_url.replace("postgres@", f"{role}@", 1)
        assert cli.json("import", "goalert", "--from", url)["counts"]["created"] == 8
    finally:
        with connect(goalert_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def test_the_database_records_its_migrations_as_goalert_does(goalert_url: str) -> None:
    """GoAlert's own check (its Makefile): `select id from gorp_migrations` lists exactly the
    file names of migrate/migrations, .sql included."""
    rows = sql(goalert_url, "SELECT id, applied_at FROM gorp_migrations ORDER BY id")
    assert [r["id"] for r in rows] == goalert_migrations()
    assert len(rows) == 280
    assert all(r["id"].endswith(".sql") and r["applied_at"] is not None for r in rows)


# The last migration of each GoAlert release the import reads: v0.33.0 (the oldest supported),
# v0.34.0 and v0.34.1 (the same migrations), and the newest GoAlert known here.
RELEASES = {
    "v0.33.0": "20241108172231-signals-limit-fix.sql",
    "v0.34.1": "20250502101738-om-history-index.sql",
    "newest": "20260814161833-ep-step-multi-ack.sql",
}


@pytest.mark.parametrize("release", RELEASES)
def test_a_database_migrated_by_each_supported_goalert_release_is_imported(
    cli: Cli, db_url: str, goalert_url: str, world: World, release: str
) -> None:
    record_migrations(goalert_url, goalert_migrations(RELEASES[release]))
    assert cli.json("import", "goalert", "--from", goalert_url)["counts"]["created"] == 8


@pytest.mark.parametrize(
    ("ids", "missing"),
    [
        # GoAlert v0.32.0: its last migration is 20240125091537-hb-addl-details.sql.
        (
            goalert_migrations("20240125091537-hb-addl-details.sql"),
            "20241108172231-signals-limit-fix.sql",
        ),
        # Ids without .sql, as no GoAlert release writes them (GoAlert's own migrate refuses
        # such a database: "migration mismatch").
        (
            [m.removesuffix(".sql") for m in goalert_migrations()],
            "20210309144821-rotation-module-update.sql",
        ),
    ],
    ids=["v0.32.0", "ids without .sql"],
)
def test_a_database_goalert_did_not_migrate_to_a_supported_release_is_refused(
    cli: Cli, db_url: str, goalert_url: str, world: World, ids: list[str], missing: str
) -> None:
    record_migrations(goalert_url, ids)
    before = handoff_rows(db_url)
    line = cli.refused("import", "goalert", "--from", goalert_url)
    assert line.endswith(f"migration {missing} has not run"), line
    assert handoff_rows(db_url) == before


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (
            "ALTER TABLE rotation_state DROP COLUMN version",
            "GoAlert's table rotation_state has no column version",
        ),
        (
            "DELETE FROM gorp_migrations WHERE id = '20230911153243-add-monthly-rotation.sql'",
            "migration 20230911153243-add-monthly-rotation.sql has not run",
        ),
        ("DROP TABLE gorp_migrations", "not a GoAlert database: it has no table gorp_migrations"),
    ],
)
def test_a_schema_it_cannot_read_is_refused(
    cli: Cli, db_url: str, goalert_url: str, world: World, breakage: str, expected: str
) -> None:
    with connect(goalert_url, autocommit=True) as conn:
        conn.execute(breakage)
    before = handoff_rows(db_url)
    assert expected in cli.refused("import", "goalert", "--from", goalert_url)
    assert handoff_rows(db_url) == before


def test_bad_sources_are_refused(cli: Cli, db_url: str, goalert_url: str, world: World) -> None:
    before = handoff_rows(db_url)
    unreachable = "postgresql://postgres@127.0.0.1:1/goalert"
    assert "cannot connect to GoAlert's database" in cli.refused(
        "import", "goalert", "--from", unreachable
    )
    assert "cannot connect" in cli.refused("import", "goalert", "--from", "not a url")
    # handoff's own database: users and rotations, but not GoAlert's.
    assert "not a GoAlert database: it has no table rotation_participants" in cli.refused(
        "import", "goalert", "--from", db_url
    )
    assert "GoAlert has no rotation named 'Nope'" in cli.refused(
        "import", "goalert", "--from", goalert_url, "--rotation", "Nope"
    )
    assert handoff_rows(db_url) == before


def test_a_rerun_records_handoffs_own_boundaries_before_goalerts_state(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    """Every writer catches up first: a boundary handoff crossed since the last run (its
    engine not running) is recorded before GoAlert's newer state is written over it."""
    cli.json("import", "goalert", "--from", goalert_url, "--rotation", "Payments")
    rid = world.rotations["Payments"]
    with connect(goalert_url, autocommit=True) as conn:
        boundary = world.grid(conn, "Payments").end_time(world.now)
        after = boundary + timedelta(seconds=2, microseconds=5)
        ClockSeam(db_url, after + timedelta(seconds=1))
        set_state(conn, rid, world.participants["Payments"][2], after)
    report = cli.json("import", "goalert", "--from", goalert_url, "--rotation", "Payments")
    assert by_name(report)["Payments"]["outcome"] == "updated"
    history = sql(
        db_url,
        "SELECT cause, boundary_at, to_participant_id FROM handoffs WHERE rotation_id = %s"
        " ORDER BY boundary_at, id",
        rid,
    )
    people = world.participants["Payments"]
    # The same person on call in both after the boundary: no second "imported" row, but
    # GoAlert's shift_start.
    assert [(h["cause"], h["boundary_at"], h["to_participant_id"]) for h in history[1:]] == [
        ("boundary", boundary, people[2])
    ]
    assert sql(
        db_url, "SELECT participant_id, shift_start FROM rotation_state WHERE rotation_id = %s", rid
    ) == [{"participant_id": people[2], "shift_start": after}]


def test_deleted_rotations(cli: Cli, db_url: str, goalert_url: str, world: World) -> None:
    """Deleted in handoff: imported again by the next run. Deleted in GoAlert: kept in handoff,
    and every run says so (JSON, table, dry run, a run of other rotations) until it is deleted
    in handoff too."""
    first = cli.json("import", "goalert", "--from", goalert_url)
    assert first["gone_from_goalert"] == []
    assert cli("rotation", "delete", "Edge").exit_code == 0
    with connect(goalert_url, autocommit=True) as conn:
        conn.execute("DELETE FROM rotations WHERE id = %s", (world.rotations["Empty"],))
    report = cli.json("import", "goalert", "--from", goalert_url)
    assert by_name(report)["Edge"]["outcome"] == "created"
    assert "Empty" not in by_name(report)
    gone = [{"id": str(world.rotations["Empty"]), "name": "Empty"}]
    assert report["gone_from_goalert"] == gone
    assert sql(db_url, "SELECT name FROM rotations WHERE id = %s", world.rotations["Empty"]) == [
        {"name": "Empty"}
    ]
    dry = cli.json("import", "goalert", "--from", goalert_url, "--dry-run", "--rotation", "Sales")
    assert dry["gone_from_goalert"] == gone
    text = cli("import", "goalert", "--from", goalert_url)
    assert text.exit_code == 0
    assert "deleted in GoAlert since imported: kept in handoff" in text.stdout
    assert str(world.rotations["Empty"]) in text.stdout
    assert "; deleted in GoAlert 1" in text.stdout
    assert cli("rotation", "delete", "Empty").exit_code == 0
    assert cli.json("import", "goalert", "--from", goalert_url)["gone_from_goalert"] == []


def test_more_participants_than_handoff_allows_is_invalid(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    cli.env["HANDOFF_MAX_PARTICIPANTS"] = "2"
    report = cli.json("import", "goalert", "--from", goalert_url, code=1)
    invalid = {r["name"] for r in report["rotations"] if r["outcome"] == "invalid"}
    assert invalid == {"Payments", "Twice"}  # three participants each
    assert "at most 2 participants" in by_name(report)["Payments"]["message"]
    assert report["counts"]["created"] == 6


def test_a_user_deleted_in_handoff_stays_deleted_while_goalert_is_unchanged(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    cli.json("import", "goalert", "--from", goalert_url)
    assert cli("user", "delete", str(world.users["Cy"])).exit_code == 0
    report = cli.json("import", "goalert", "--from", goalert_url)
    assert report["users"] == {"created": 0, "updated": 0}
    assert sql(db_url, "SELECT 1 FROM users WHERE id = %s", world.users["Cy"]) == []


def test_people_handoff_has_are_matched_by_email_and_reported(
    cli: Cli, db_url: str, goalert_url: str, world: World
) -> None:
    ann = cli.json("user", "create", "Ann L.", "--email", "ANN@Example.com")
    report = cli.json("import", "goalert", "--from", goalert_url)
    assert report["users"] == {"created": 2, "updated": 0}
    assert report["matched_users"] == [
        {
            "goalert_id": str(world.users["Ann"]),
            "goalert_name": "Ann Lee",
            "email": "ann@example.com",
            "user_id": ann["id"],
            "name": "Ann L.",
        }
    ]
    assert sql(db_url, "SELECT 1 FROM users WHERE id = %s", world.users["Ann"]) == []
    payments = world.rotations["Payments"]
    query = "SELECT user_id FROM participants WHERE rotation_id = %s ORDER BY position"
    members = sql(db_url, query, payments)
    assert [m["user_id"] for m in members] == [
        UUID(ann["id"]),
        world.users["Bo"],
        world.users["Cy"],
    ]
    assert sql(db_url, "SELECT count(*) AS n FROM users WHERE role IS NOT NULL") == [{"n": 0}]
    shown = cli("import", "goalert", "--from", goalert_url)
    assert shown.exit_code == 0 and "matched 1" in shown.stdout and "Ann L." in shown.stdout
    again = cli.json("import", "goalert", "--from", goalert_url)
    assert again["counts"]["unchanged"] == 8 and len(again["matched_users"]) == 1
    assert sql(db_url, "SELECT name, email FROM users WHERE id = %s", UUID(ann["id"])) == [
        {"name": "Ann L.", "email": "ANN@Example.com"}
    ]
