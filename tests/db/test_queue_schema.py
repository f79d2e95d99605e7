"""The queue library's schema is part of ours (engine.md, "Real-world conditions").

A fresh database holds exactly the pinned Procrastinate release's own schema; one created at an
earlier pin and migrated holds the same; and the installed release is the pinned one.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

import psycopg
import pytest
from procrastinate.schema import SchemaManager

from handoff.store import queue_schema

# Procrastinate's own objects, described by the catalog (function bodies compared without
# their whitespace, which differs between its schema file and its migration files).
CATALOG = {
    "columns": "SELECT table_name, column_name, data_type, column_default, is_nullable"
    " FROM information_schema.columns WHERE table_schema = 'public'"
    " AND table_name LIKE 'procrastinate%%' ORDER BY 1, 2",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    " AND indexname NOT LIKE 'handoff%%' AND tablename LIKE 'procrastinate%%' ORDER BY 1",
    "functions": "SELECT p.proname, pg_get_function_identity_arguments(p.oid),"
    " regexp_replace(p.prosrc, '\\s+', ' ', 'g') FROM pg_proc p"
    " WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'procrastinate%%'"
    " ORDER BY 1, 2",
    "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
    " WHERE NOT tgisinternal AND tgname LIKE 'procrastinate%%' ORDER BY 1",
    "constraints": "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text"
    " LIKE 'procrastinate%%' ORDER BY 1",
    "enums": "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_type t"
    " JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1",
}


def catalog(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in CATALOG.items()}


def test_the_installed_release_is_the_pinned_one() -> None:
    assert metadata.version("procrastinate") == queue_schema.PINNED
    queue_schema.check_installed()


def test_a_fresh_database_holds_the_pinned_release_schema(database_url: str, scratch: str) -> None:
    with psycopg.connect(scratch, autocommit=True) as conn:
        conn.execute(SchemaManager.get_schema())
    release = catalog(scratch)
    assert release["functions"] and release["columns"]
    assert catalog(database_url) == release
    with psycopg.connect(database_url) as conn:
        (version,) = conn.execute("SELECT version FROM handoff_queue_schema").fetchone() or ()
    assert version == queue_schema.PINNED


def test_a_database_from_an_earlier_pin_migrates_to_the_fresh_schema(
    database_url: str, scratch: str
) -> None:
    earlier = queue_schema.parse("3.3.0")  # before the 3.4 files (retry_failed_job)
    with psycopg.connect(scratch, autocommit=True) as conn:
        # Procrastinate's history up to the earlier release, one file per transaction as its
        # migrations are written to run.
        for version, name in queue_schema.migration_files():
            if version <= earlier:
                conn.execute(queue_schema.file_text(name))
    with psycopg.connect(scratch) as conn:
        conn.execute(queue_schema.RECORD_TABLE)
        conn.execute("INSERT INTO handoff_queue_schema (version) VALUES ('3.3.0')")
        conn.commit()
        assert catalog(scratch) != catalog(database_url)
        applied = queue_schema.upgrade(conn)
        conn.commit()
        assert applied and all(name.startswith("03.04.00") for name in applied)
        assert queue_schema.upgrade(conn) == []  # once
    assert catalog(scratch) == catalog(database_url)


def test_another_release_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_schema, "PINNED", "3.99.0")
    with pytest.raises(RuntimeError, match=r"pinned to 3\.99\.0"):
        queue_schema.check_installed()
