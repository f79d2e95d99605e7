"""The test database is GoAlert's: goalert_schema.sql's tables and triggers against the facts of
GoAlert's own schema dump (goalert_catalog.txt), and gorp_migrations as GoAlert's migrate fills
it. The import's tests prove something about GoAlert only as far as these hold."""

from __future__ import annotations

import re
from pathlib import Path

from handoff.store.db import connect

CATALOG = Path(__file__).with_name("goalert_catalog.txt")
# GoAlert's triggers the fixture leaves out, and why none changes a row the importer reads.
OMITTED = {
    # It queues a River job for GoAlert's rotation manager (needs river_job); no row it reads.
    "trg_track_rotation_updates": "queues GoAlert's own engine",
    "trg_track_rotation_part_updates": "queues GoAlert's own engine",
    "trg_track_rotation_state_updates": "queues GoAlert's own engine",
    # Checks against config_limits and user_contact_methods: refuses writes, changes nothing.
    "trg_enforce_rotation_participant_limit": "a limit check (config_limits)",
    "trg_enforce_status_update_same_user": "a check (user_contact_methods)",
}
TABLES = ["gorp_migrations", "users", "rotations", "rotation_participants", "rotation_state"]
TRIGGER = re.compile(
    r"CREATE (?:CONSTRAINT )?TRIGGER (\S+) (.*?) ON public\.(\w+) (.*)EXECUTE FUNCTION (\w+)\("
)


def _facts(kind: str) -> set[tuple[str, ...]]:
    rows = (line.split("\t") for line in CATALOG.read_text().splitlines())
    return {tuple(row[1:]) for row in rows if row[0] == kind}


def test_the_tables_the_importer_reads_have_goalerts_columns(goalert_url: str) -> None:
    with connect(goalert_url) as conn:
        rows = conn.execute(
            "SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type,"
            " a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE c.relname = ANY(%s) AND c.relkind = 'r' AND a.attnum > 0"
            " AND NOT a.attisdropped",
            (TABLES,),
        ).fetchall()
    found = {
        (
            str(r["t"]),
            str(r["c"]),
            str(r["type"]),
            "not null" if r["not_null"] else "null",
            str(r["default"] or "-"),
        )
        for r in rows
    }
    assert found == _facts("column")


def test_the_fixture_has_goalerts_triggers_but_the_ones_it_says_it_leaves_out(
    goalert_url: str,
) -> None:
    with connect(goalert_url) as conn:
        rows = conn.execute(
            "SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relname = ANY(%s) AND NOT t.tgisinternal",
            (TABLES,),
        ).fetchall()
    found = set()
    for row in rows:
        match = TRIGGER.match(str(row["def"]))
        assert match, row["def"]
        name, timing, table, rest, function = match.groups()
        found.add(
            (table, name, timing, function, "deferred" if "INITIALLY DEFERRED" in rest else "-")
        )
    goalert = _facts("trigger")
    assert {fact[1] for fact in goalert} >= set(OMITTED)
    assert found == {fact for fact in goalert if fact[1] not in OMITTED}
