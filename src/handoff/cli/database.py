"""`handoff migrate`: bring the schema up to date."""

from __future__ import annotations

from handoff.cli.common import console, database, settings
from handoff.store import db
from handoff.store import migrate as migrations


def migrate() -> None:
    """Apply the database migrations and exit."""
    loaded = settings()
    with database(loaded, migrate_first=False) as url:
        pooled = db.pooled(loaded)
        before = migrations.current_revision(url, pooled=pooled)
        migrations.upgrade(url, pooled=pooled)
        after = migrations.current_revision(url, pooled=pooled)
    if before == after:
        console.print(f"schema is current (revision {after})")
    else:
        console.print(f"migrated schema from {before or 'empty'} to {after}")
