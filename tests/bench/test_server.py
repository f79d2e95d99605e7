"""The bench's databases are its own: created fresh, always dropped; real data is refused."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from rich.console import Console
from typer.testing import CliRunner

from handoff.bench import runner, server, storm
from handoff.bench.profiles import TINY, Profile
from handoff.bench.results import Results
from handoff.cli.common import USER_ERROR_EXIT_CODE
from handoff.cli.main import app


def test_fresh_database_is_migrated_then_dropped(server_url: str) -> None:
    before = set(server.bench_databases(server_url))
    with server.fresh_database(server_url) as url:
        name = url.split("?")[0].rsplit("/", 1)[1]
        assert name.startswith(server.DATABASE_PREFIX)
        assert name in server.bench_databases(server_url)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM rotations").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM bench_due").fetchone() == (0,)
    assert set(server.bench_databases(server_url)) == before


def test_fresh_database_is_dropped_when_the_body_raises(server_url: str) -> None:
    before = set(server.bench_databases(server_url))
    with pytest.raises(RuntimeError, match="scenario failed"), server.fresh_database(server_url):
        raise RuntimeError("scenario failed")
    assert set(server.bench_databases(server_url)) == before


def test_a_failing_scenario_leaves_no_database_behind(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("storm exploded")

    monkeypatch.setattr(storm, "run", explode)
    before = set(server.bench_databases(server_url))
    with pytest.raises(RuntimeError, match="storm exploded"):
        runner.run(
            TINY,
            database_url=server_url,
            force=True,
            scenarios=["storm"],
            console=Console(quiet=True),
        )
    assert set(server.bench_databases(server_url)) == before


def _add_rotation(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO rotations (name, type, start_at, time_zone)"
            " VALUES ('real', 'daily', '2026-01-01T09:00Z', 'UTC')"
        )


def test_refuses_a_database_with_rotations_unless_forced(db_url: str) -> None:
    server.refuse_if_in_use(db_url, force=False)  # empty: allowed
    _add_rotation(db_url)
    with pytest.raises(server.RefusedError, match="holds 1 rotations"):
        server.refuse_if_in_use(db_url, force=False)
    server.refuse_if_in_use(db_url, force=True)


def test_cli_refusal_is_one_line_and_exit_code_2(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_rotation(db_url)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["bench", "--quick", "--scenario", "grid"])
    assert result.exit_code == USER_ERROR_EXIT_CODE
    assert "--force" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_rejects_an_unknown_scenario() -> None:
    result = CliRunner().invoke(app, ["bench", "--scenario", "nope"])
    assert result.exit_code == USER_ERROR_EXIT_CODE
    assert "unknown scenario 'nope'" in result.output


def _asked(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    """What `handoff bench *args` would run: runner.run's profile and scenarios."""
    asked: dict[str, Any] = {}

    def run(profile: Profile, **kwargs: Any) -> Results:
        asked.update(kwargs, profile=profile)
        return Results(profile=profile.name)

    monkeypatch.setattr(runner, "run", run)
    result = CliRunner().invoke(app, ["bench", "--json", *args])
    assert result.exit_code == 0, result.output
    return asked


def test_the_stall_scenario_runs_only_when_named_with_its_sizes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everything = _asked(monkeypatch)
    assert "stall" not in everything["scenarios"]
    assert list(everything["scenarios"]) == [s for s in runner.SCENARIOS if s != "stall"]
    named = _asked(monkeypatch, "--scenario", "stall", "--stall-clients", "100")
    assert named["scenarios"] == ["stall"]
    assert (named["profile"].stall_clients, named["profile"].stall_rotations) == (100, 10_000)
    sized = _asked(monkeypatch, "--quick", "--scenario", "stall", "--stall-rotations", "500")
    assert (sized["profile"].stall_rotations, sized["profile"].stall_seconds) == (500, 20.0)


def test_the_stall_sizes_must_be_positive() -> None:
    result = CliRunner().invoke(app, ["bench", "--scenario", "stall", "--stall-clients", "0"])
    assert result.exit_code == USER_ERROR_EXIT_CODE
    assert "--stall-clients" in result.output
