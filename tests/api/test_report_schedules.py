"""The on-call report's schedule rows and its bound on work (reports.md, issue 27), over a
real database.

A one-layer schedule's final on-call is its rotation's effective on-call, so its rows must
equal the rotation's /shifts (handoff.store.projections, a separate path), past and planned.
The bound: a report over every rotation that would take more than `reports.MAX_PIECES`
recorded changes and projected pieces is refused with problem+json, while the same range for
one rotation, one schedule or one person (who is only in some rotations) is answered.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from typer.testing import CliRunner

from handoff import reports as core
from handoff.cli.main import app

from .conftest import Api
from .test_overrides import _z, oc
from .test_reports import SINCE, UNTIL, _from_shifts, _report, _setup
from .test_schedules import _schedule

__all__ = ["oc"]  # the fixture, used by name


def test_a_schedules_rows_are_its_final_on_call_past_and_planned(oc: Api) -> None:
    s = _setup(oc)
    rotation = s["rotation"]
    schedule = _schedule(oc, "team", [rotation["id"]])
    body = _report(oc, schedule_id=schedule["id"]).json()
    assert {i["schedule_id"] for i in body["items"]} == {schedule["id"]}
    assert {i["rotation_id"] for i in body["items"]} == {None}
    assert {i["rotation"] for i in body["items"]} == {"team"}
    seconds, gap = _from_shifts(oc, rotation["id"])
    assert {i["user_id"]: i["seconds"] for i in body["items"] if i["seconds"]} == dict(seconds)
    (total,) = body["totals"]
    assert (total["rotation_id"], total["schedule_id"]) == (None, schedule["id"])
    assert (total["seconds"], total["gap_seconds"]) == (
        int((UNTIL - SINCE).total_seconds()) - gap,
        gap,
    )
    # The rotation and the schedule asked for together: both, each under its own id, with the
    # same past (the rotation's from its record, the schedule's from its layer's history) and
    # the same plan.
    both = _report(oc, rotation_id=rotation["id"], schedule_id=schedule["id"]).json()
    assert [(t["rotation_id"], t["schedule_id"]) for t in both["totals"]] == [
        (rotation["id"], None),
        (None, schedule["id"]),
    ]
    split = {
        (i["schedule_id"] is None, i["user_id"]): (i["past_hours"], i["planned_hours"])
        for i in both["items"]
    }
    for user in (s["ann"], s["bo"], s["cy"]):
        assert split[(True, user)] == split[(False, user)], user
    assert all(past > 0 and planned > 0 for past, planned in (split[(False, s["ann"])],))
    # Without a filter, every rotation and no schedule (reports.md).
    everything = _report(oc).json()
    assert {t["schedule_id"] for t in everything["totals"]} == {None}
    table = _report(oc, schedule_id=schedule["id"], format="csv").content.decode("utf-8-sig")
    read = list(csv.DictReader(io.StringIO(table)))
    assert {(r["rotation_id"], r["schedule_id"]) for r in read} == {("", schedule["id"])}
    missing = oc.reader.get(
        "/api/v1/reports/oncall",
        params={"since": _z(SINCE), "until": _z(UNTIL), "schedule_id": rotation["id"]},
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_the_cli_reports_a_schedule_by_name_as_the_api_does(oc: Api) -> None:
    s = _setup(oc)
    schedule = _schedule(oc, "team", [s["rotation"]["id"]])
    api_csv = _report(oc, schedule_id=schedule["id"], format="csv").content
    env = {"HANDOFF_DATABASE_URL": oc.db_url, "HANDOFF_LOG_LEVEL": "warning", "COLUMNS": "200"}
    args = ["report", "oncall", "--since", _z(SINCE), "--until", _z(UNTIL), "--schedule", "team"]
    result = CliRunner().invoke(app, [*args, "--csv"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == api_csv
    unknown = CliRunner().invoke(app, [*args[:-1], "no such schedule"], env=env)
    assert unknown.exit_code == 2 and len(unknown.stderr.strip().splitlines()) == 1


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> int:
    """A bound the test can pass with a few rotations (the API runs in this process)."""
    monkeypatch.setattr(core, "MAX_PIECES", 150)
    return 150


def _params(**more: Any) -> dict[str, Any]:
    return {"since": _z(SINCE), "until": _z(UNTIL)} | more


def test_a_report_over_too_many_rotations_is_refused_and_a_narrower_one_answered(
    oc: Api, small_budget: int
) -> None:
    s = _setup(oc)  # Ann and Bo's daily rotation: 7 days, about 10 pieces
    # Five hourly rotations of Bo and Cy: about 92 planned pieces each.
    others = [oc.rotation(f"busy {n}", [s["bo"], s["cy"]], type="hourly") for n in range(5)]
    refused = oc.reader.get("/api/v1/reports/oncall", params=_params())
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"over {small_budget} shifts" in refused.json()["detail"]
    one = oc.reader.get("/api/v1/reports/oncall", params=_params(rotation_id=others[0]["id"]))
    assert one.status_code == 200, one.text
    # Ann is only in the first rotation: her report works out that one alone.
    ann = oc.reader.get("/api/v1/reports/oncall", params=_params(user_id=s["ann"]))
    assert ann.status_code == 200, ann.text
    assert {i["rotation_id"] for i in ann.json()["items"]} == {s["rotation"]["id"]}
    # Bo is in all six: refused too.
    bo = oc.reader.get("/api/v1/reports/oncall", params=_params(user_id=s["bo"]))
    assert bo.status_code == 422, bo.text
