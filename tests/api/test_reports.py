"""GET /api/v1/reports/oncall and `handoff report oncall` over a real database (reports.md).

The numbers are checked against the rotation's own /shifts (the record before now, the
projection after, read by handoff.store.projections, a separate path), the CSV is read back
with Python's csv module, and the report's statements are counted for 1 and 300 rotations.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection
from typer.testing import CliRunner

from handoff import report_table
from handoff.cli.main import app
from handoff.store import reports, state

from .conftest import T0, Api
from .test_oncall_statements import _populate, _statements
from .test_overrides import H, _add, _z, oc, set_now

__all__ = ["oc"]  # the fixture, used by name
SINCE = T0 - 2 * H  # inside Ann's shift (it began at T0, the rotation's creation)
NOW = datetime(2026, 3, 5, 12, tzinfo=UTC)
UNTIL = datetime(2026, 3, 9, 8, tzinfo=UTC)


def _user(api: Api, name: str, time_zone: str | None = None) -> str:
    response = api.admin.post("/api/v1/users", json={"name": name, "time_zone": time_zone})
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def _engine(url: str, rotation_id: str) -> None:
    async with await AsyncConnection.connect(url) as conn:
        await state.write(conn, UUID(rotation_id), engine="queue")


def _report(api: Api, **params: Any) -> Any:
    response = api.reader.get(
        "/api/v1/reports/oncall", params={"since": _z(SINCE), "until": _z(UNTIL)} | params
    )
    assert response.status_code == 200, response.text
    return response


def _setup(api: Api) -> dict[str, Any]:
    """Ann (New York) and Bo take daily turns in Berlin; Cy covers Ann one night; the
    engine recorded everything until NOW."""
    ann, bo, cy = _user(api, "Ann", "America/New_York"), _user(api, "Bo"), _user(api, "Cy")
    rotation = api.rotation("primary", [ann, bo])
    _add(
        api,
        rotation,
        datetime(2026, 3, 2, 21, tzinfo=UTC),
        datetime(2026, 3, 3, 1, tzinfo=UTC),
        user_id=cy,
    )
    set_now(api, NOW)
    asyncio.run(_engine(api.db_url, rotation["id"]))
    return {"ann": ann, "bo": bo, "cy": cy, "rotation": rotation}


def _from_shifts(api: Api, rotation_id: str) -> tuple[Counter[str], int]:
    """Each person's seconds by the rotation's /shifts, and the seconds with nobody."""
    items = api.reader.get(
        f"/api/v1/rotations/{rotation_id}/shifts", params={"since": _z(SINCE), "until": _z(UNTIL)}
    ).json()["items"]
    seconds: Counter[str] = Counter()
    for i in items:
        start = max(datetime.fromisoformat(i["start"]), SINCE)
        end = min(datetime.fromisoformat(i["end"]), UNTIL)
        if i["user_id"] is not None:
            seconds[i["user_id"]] += int((end - start).total_seconds())
    return seconds, int((UNTIL - SINCE).total_seconds()) - sum(seconds.values())


def test_the_report_agrees_with_the_shifts_and_adds_up(oc: Api) -> None:
    """A range that starts inside a shift and ends in the future; an override over part of
    a night; a person with a zone of their own."""
    s = _setup(oc)
    body = _report(oc).json()
    assert (body["since"], body["until"]) == (SINCE.isoformat(), UNTIL.isoformat())
    rows = {r["user_id"]: r for r in body["items"]}
    seconds, gap = _from_shifts(oc, s["rotation"]["id"])
    assert {u: r["seconds"] for u, r in rows.items()} == {
        u: seconds[u] for u in (s["ann"], s["bo"], s["cy"])
    }
    (total,) = body["totals"]
    assert total["gap_seconds"] == gap == 2 * 3600  # before the rotation was made
    assert total["seconds"] + total["gap_seconds"] == (UNTIL - SINCE).total_seconds()
    ann, bo, cy = rows[s["ann"]], rows[s["bo"]], rows[s["cy"]]
    assert (cy["hours"], cy["covered_for_others_hours"]) == (4.0, 4.0)
    assert ann["covered_by_others_hours"] == 4.0
    # Cy has no zone: Berlin's night, 22:00-02:00 there. Ann's 4 hours went to Cy.
    assert cy["night_hours"] == 4.0
    for r in (ann, bo):
        assert r["past_hours"] + r["planned_hours"] == pytest.approx(r["hours"])
        assert r["past_hours"] > 0 and r["planned_hours"] > 0
    # Ann's first turn from T0 (Mon) to Tue 09:00, then Thu and Sat and Mon: four turns;
    # Bo's Tue, Fri and Sun: three.
    assert (ann["turns"], bo["turns"]) == (4, 3)
    assert ann["intervals"] == 5  # the override splits her first turn
    assert total["spread_hours"] == pytest.approx(max(r["hours"] for r in body["items"]) - 4.0)
    # The filters: one person, one rotation.
    only_bo = _report(oc, user_id=s["bo"]).json()
    assert [r["user_id"] for r in only_bo["items"]] == [s["bo"]]
    assert _report(oc, rotation_id=s["rotation"]["id"]).json()["items"] == body["items"]


def test_a_deleted_person_keeps_their_past_rows_named_as_recorded(oc: Api) -> None:
    s = _setup(oc)
    before = {r["user_id"]: r for r in _report(oc).json()["items"]}
    assert oc.admin.delete(f"/api/v1/users/{s['cy']}").status_code == 204
    after = {r["user_id"]: r for r in _report(oc).json()["items"]}
    assert (after[s["cy"]]["name"], after[s["cy"]]["hours"]) == ("Cy", 4.0)
    assert after[s["cy"]]["seconds"] == before[s["cy"]]["seconds"]


def test_the_csv_reads_back_as_the_json(oc: Api) -> None:
    """A header row, RFC 4180 quoting, UTF-8 (with the mark spreadsheets need), CRLF, and a
    name that a spreadsheet would run as a formula defused."""
    s = _setup(oc)
    oc.admin.patch(f"/api/v1/users/{s['bo']}", json={"name": '=HYPERLINK("x"), Zoë'})
    response = _report(oc, format="csv")
    assert response.headers["content-type"] == report_table.CSV_MEDIA_TYPE
    assert response.content.startswith(b"\xef\xbb\xbf") and b"\r\n" in response.content
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert tuple(lines[0]) == report_table.COLUMNS
    items = _report(oc).json()["items"]
    assert len(lines) == len(items) + 1
    for line, item in zip(lines[1:], items, strict=True):
        read = dict(zip(report_table.COLUMNS, line, strict=True))
        assert read["user_id"] == item["user_id"] and float(read["hours"]) == item["hours"]
        assert int(read["seconds"]) == item["seconds"]
    bo = next(dict(zip(report_table.COLUMNS, x, strict=True)) for x in lines if x[0] == s["bo"])
    assert bo["name"] == '\'=HYPERLINK("x"), Zoë'


def test_the_cli_prints_the_apis_csv(oc: Api) -> None:
    s = _setup(oc)
    api_csv = _report(oc, format="csv").content
    env = {"HANDOFF_DATABASE_URL": oc.db_url, "HANDOFF_LOG_LEVEL": "warning", "COLUMNS": "200"}
    args = ["report", "oncall", "--since", _z(SINCE), "--until", _z(UNTIL)]
    result = CliRunner().invoke(app, [*args, "--csv"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == api_csv
    table = CliRunner().invoke(app, [*args, "--rotation", "primary"], env=env)
    assert table.exit_code == 0 and "Ann" in table.stdout and "gap hours" in table.stdout
    refused = CliRunner().invoke(app, [*args, "--user", "nobody-like-this"], env=env)
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert s["ann"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"since": _z(UNTIL), "until": _z(SINCE)}, 422),
        ({"since": _z(SINCE), "until": _z(SINCE + timedelta(days=401))}, 422),
        ({"since": _z(SINCE), "until": _z(UNTIL), "format": "xlsx"}, 422),
        ({"since": _z(SINCE)}, 422),
        (
            {"since": _z(SINCE), "until": _z(UNTIL), "rotation_id": str(UUID(int=7))},
            404,
        ),
    ],
)
def test_refusals_are_problems(oc: Api, params: dict[str, str], status: int) -> None:
    response = oc.reader.get("/api/v1/reports/oncall", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert oc.anonymous.get("/api/v1/reports/oncall", params=params).status_code == 401


async def _report_counts(url: str) -> list[int]:
    counts = []
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        made = 0
        for size in (1, 300):
            await _populate(conn, made, size)
            made = size
            now = datetime.now(UTC)
            count, found = await _statements(
                conn,
                reports.oncall(conn, now - timedelta(days=2), now + timedelta(days=1), now=now),
            )
            assert len(found.totals) == made
            counts.append(count)
    return counts


def test_the_report_runs_the_same_statements_for_1_and_300_rotations(db_url: str) -> None:
    one, many = asyncio.run(_report_counts(db_url))
    assert one == many <= 5


def test_the_report_is_written_out_off_the_event_loop(
    oc: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing out a report of every rotation takes up to a second (issue 24's probe): JSON
    and CSV alike are written in a worker thread, where no running event loop is."""
    _setup(oc)
    on_loop: list[bool] = []

    def watched(write: Any) -> Any:
        def written(report: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
            return write(report)

        return written

    monkeypatch.setattr(report_table, "as_json", watched(report_table.as_json))
    monkeypatch.setattr(report_table, "as_csv", watched(report_table.as_csv))
    body = _report(oc).json()
    assert body["items"] and body["totals"]
    assert "user_id,name" in _report(oc, format="csv").text.splitlines()[0]
    assert on_loop == [False, False]
