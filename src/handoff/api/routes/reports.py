"""The on-call report (reports.md): who carried the pager over a range, and when nobody did."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from handoff import report_table
from handoff.api.auth import READER
from handoff.api.deps import Conn, Now
from handoff.api.problems import responses
from handoff.api.types import Instant
from handoff.reports import Report
from handoff.store import reports

router = APIRouter(prefix="/api/v1", tags=["reports"])


class ReportRow(BaseModel):
    """One person in one rotation or schedule (`rotation` names either); hours are effective
    on-call time, overrides applied, the past recorded and the rest planned; night and weekend
    on the person's wall clock. A schedule's rows are its final on-call (a `union` schedule's
    people overlap); its turns are the stretches a person held by its layers, not an
    override."""

    user_id: UUID
    name: str
    rotation_id: UUID | None
    rotation: str
    schedule_id: UUID | None
    hours: float
    past_hours: float
    planned_hours: float
    intervals: int
    turns: int
    night_hours: float
    weekend_hours: float
    covered_for_others_hours: float
    covered_by_others_hours: float
    seconds: int


class ReportTotal(BaseModel):
    """A rotation's or schedule's time with someone on call and with nobody (they add up to
    the range), and its spread."""

    rotation_id: UUID | None
    rotation: str
    schedule_id: UUID | None
    hours: float
    gap_hours: float
    spread_hours: float
    seconds: int
    gap_seconds: int


class OnCallReport(BaseModel):
    since: str
    until: str
    now: str
    items: list[ReportRow]
    totals: list[ReportTotal]


@router.get(
    "/reports/oncall",
    dependencies=READER,
    response_model=OnCallReport,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **responses(401, 404, 422),
    },
)
async def oncall_report(
    conn: Conn,
    now: Now,
    since: Annotated[Instant, Query(description="Start of the range.")],
    until: Annotated[Instant, Query(description="End of the range (at most 400 days on).")],
    rotation_id: UUID | None = None,
    schedule_id: UUID | None = None,
    user_id: UUID | None = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv.")] = "json",
) -> object:
    """Per person and rotation (every rotation, or the rotation and the schedule asked for):
    hours on call, intervals, turns, night and weekend hours, hours covered for and by
    others; per rotation or schedule the total, the gaps and the spread. The past comes from
    the recorded history, the future from the projection, split now. Refused (422) when
    it would take more than 100,000 recorded changes and projected shifts to work out (a
    long range over many rotations): the detail says to narrow it."""
    report = await reports.oncall(
        conn,
        since,
        until,
        now=now,
        rotation_id=rotation_id,
        schedule_id=schedule_id,
        user_id=user_id,
    )
    # Writing out a report of every rotation takes as long as a second: in a thread, so that
    # no other request waits for it (issue 24's probe), as the JSON FastAPI would write.
    if format == "csv":
        return Response(
            await anyio.to_thread.run_sync(report_table.as_csv, report),
            media_type=report_table.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="oncall-report.csv"'},
        )
    return Response(await anyio.to_thread.run_sync(_json, report), media_type="application/json")


def _json(report: Report) -> str:
    return OnCallReport.model_validate(report_table.as_json(report)).model_dump_json()
