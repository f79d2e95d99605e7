"""Every process as a role that owns its database and nothing more, as a managed PostgreSQL
gives (deploy.md): `handoff migrate`, `handoff api` and two workers, through PgBouncer in
transaction mode, hand off a storm once each. (.ci/run also runs the whole engine suite as
such a role: HANDOFF_TEST_AS_OWNER, tests/conftest.py.)"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from conftest import drop_owned_database, owned_database
from engine import test_processes as processes
from engine.conftest import HANDOFF, spawner
from handoff.chaos import pgbouncer
from handoff.chaos.api import listening_url, wait_for

from .conftest import pgbouncer_required
from .test_worker_health import START_SECONDS

pytestmark = pytest.mark.e2e

STORM = 200


@pytest.fixture
def owner(server_url: str) -> Iterator[tuple[str, str]]:
    """A fresh database owned by a fresh unprivileged role: (role, URL as that role)."""
    name = f"handoff_role_{secrets.token_hex(4)}"
    role, url = owned_database(server_url, name)
    try:
        yield role, url
    finally:
        drop_owned_database(server_url, name, role)


def test_migrate_api_and_workers_as_the_database_owner_through_pgbouncer(
    server_url: str, owner: tuple[str, str], tmp_path: Path
) -> None:
    pgbouncer_required()
    role, direct = owner
    with psycopg.connect(direct, row_factory=dict_row, autocommit=True) as conn:
        privileges = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert privileges is not None and not any(privileges.values())
    with pgbouncer.running(server_url, users=(role,)) as bouncer:
        url = bouncer.url(role, str(conninfo_to_dict(direct)["dbname"]))
        env = os.environ | {"HANDOFF_DATABASE_URL": url, "HANDOFF_DATABASE_POOLER": "transaction"}
        migrated = subprocess.run(
            [HANDOFF, "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        assert migrated.returncode == 0, migrated.stderr
        with (tmp_path / "api.log").open("wb") as log:
            api = subprocess.Popen(
                [HANDOFF, "api", "--port", "0"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            base = wait_for(tmp_path / "api.log", api, listening_url, START_SECONDS)
            with spawner(tmp_path, **{k: env[k] for k in env if k.startswith("HANDOFF_")}) as spawn:
                spawn()
                spawn()
                with psycopg.connect(direct, row_factory=dict_row, autocommit=True) as conn:
                    processes._wait_for_workers(conn, 2)
                    boundary = processes._due_rotations(conn, STORM)
                    processes._wait(
                        lambda: processes._boundaries_recorded(conn, boundary) == STORM,
                        60,
                        "the storm",
                    )
                    processes._assert_all_on_bob_once(conn, STORM, boundary)
            processes._wait(
                lambda: _status(base) == 200, 30, "the API's readiness as the database owner"
            )
        finally:
            api.terminate()
            api.wait(timeout=30)


def _status(base: str) -> int | None:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code
    except httpx.HTTPError:
        return None
