"""Run `handoff` commands in-process (Typer's CliRunner) against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from handoff.cli.main import app
from handoff.store.db import connect


@dataclass
class Cli:
    db_url: str
    runner: CliRunner
    env: dict[str, str]

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def refused(self, *args: str) -> str:
        """The command fails as a user error: exit code 2 and exactly one line on stderr."""
        result = self(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]

    def sql(self, query: str, *params: object) -> list[dict[str, Any]]:
        with connect(self.db_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return list(cur.fetchall()) if cur.description else []

    def snapshot(self) -> Callable[[], dict[str, int]]:
        """A function that counts every table's rows, to show a refusal changed nothing."""
        tables = (
            "users",
            "rotations",
            "participants",
            "rotation_state",
            "handoffs",
            "api_tokens",
            "procrastinate_jobs",
        )

        def counts() -> dict[str, int]:
            return {t: self.sql(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}  # noqa: S608

        return counts


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    env = {
        "HANDOFF_DATABASE_URL": db_url,
        "HANDOFF_DATA_DIR": str(tmp_path),
        "HANDOFF_LOG_LEVEL": "warning",
        "COLUMNS": "200",
    }
    return Cli(db_url, CliRunner(), env)
