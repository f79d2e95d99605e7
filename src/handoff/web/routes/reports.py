"""The Reports page: who carried the pager over a range, as a chart, a table and a CSV.

Every parameter comes from a GET form, so a value the page cannot use (a date that does not
exist, an unknown rotation or person, a range over 400 days) shows a message and the default
range (the last 30 days) instead of an error page. Days are UTC days: the range runs from the
start of `since` to the end of `until`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response

from handoff import report_table
from handoff.http.deps import Conn, Now
from handoff.reports import Report
from handoff.store import reports
from handoff.store.errors import StoreError
from handoff.web import report_chart, views
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
DEFAULT_DAYS = 30
MAX_PARAMETER = 100
_DAY = timedelta(days=1)


@dataclass
class Choice:
    """The range and filters asked for, as understood, and what could not be."""

    since: date
    until: date  # inclusive
    rotation: UUID | None = None
    person: UUID | None = None
    errors: list[str] = field(default_factory=list)

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.since, time(), UTC)
        return start, datetime.combine(self.until, time(), UTC) + _DAY

    def query(self) -> str:
        params = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "rotation": self.rotation,
            "person": self.person,
        }
        return urlencode({k: str(v) for k, v in params.items() if v is not None})


def _parse(now: datetime, since: str, until: str, rotation: str, person: str) -> Choice:
    today = now.astimezone(UTC).date()
    choice = Choice(today - timedelta(days=DEFAULT_DAYS - 1), today)
    given: list[date] = []
    for name, value in (("since", since[:MAX_PARAMETER]), ("until", until[:MAX_PARAMETER])):
        if value:
            try:
                given.append(date.fromisoformat(value))
            except ValueError:
                choice.errors.append(f"{value!r} is not a date (YYYY-MM-DD) for {name}")
    if len(given) == 2 and not choice.errors:
        if given[1] < given[0]:
            choice.errors.append("the range ends before it starts")
        else:
            choice.since, choice.until = given
    for name, value in (("rotation", rotation), ("person", person)):
        if value:
            try:
                setattr(choice, name, UUID(value[:MAX_PARAMETER]))
            except ValueError:
                choice.errors.append(f"there is no {name} {value[:MAX_PARAMETER]!r}")
    if choice.errors:
        choice.errors.append(
            "showing the last 30 days" if not given else "showing what could be read"
        )
    return choice


async def _report(conn: Conn, now: datetime, choice: Choice) -> Report:
    since, until = choice.bounds()
    try:
        return await reports.oncall(
            conn, since, until, now=now, rotation_id=choice.rotation, user_id=choice.person
        )
    except StoreError as exc:
        choice.errors.append(f"{exc}; showing the last {DEFAULT_DAYS} days of everyone")
        default = _parse(now, "", "", "", "")
        choice.since, choice.until, choice.rotation, choice.person = (
            default.since,
            default.until,
            None,
            None,
        )
        since, until = choice.bounds()
        return await reports.oncall(conn, since, until, now=now)


@router.get("/reports")
async def reports_page(
    request: Request,
    viewer: Viewer,
    conn: Conn,
    now: Now,
    since: str = "",
    until: str = "",
    rotation: str = "",
    person: str = "",
) -> Response:
    choice = _parse(now, since, until, rotation, person)
    report = await _report(conn, now, choice)
    choices = await views.person_choices(conn, views.who(request), [choice.person])
    return page(
        request,
        "reports.html",
        session=viewer,
        choice=choice,
        report=report,
        chart=report_chart.chart(report.rows),
        rotation_names=report_table.rotation_names(report),
        hours=report_table.hours,
        people=choices.people,
        choices=choices,
        rotations=await views.rotation_choices(conn, now, "", choice.rotation),
    )


@router.get("/reports.csv")
async def reports_csv(
    viewer: Viewer,
    conn: Conn,
    now: Now,
    since: str = "",
    until: str = "",
    rotation: str = "",
    person: str = "",
) -> Response:
    """The table as the API's CSV, for a spreadsheet."""
    choice = _parse(now, since, until, rotation, person)
    report = await _report(conn, now, choice)
    filename = f"oncall-{choice.since}-{choice.until}.csv"
    return Response(
        report_table.as_csv(report),
        media_type=report_table.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
