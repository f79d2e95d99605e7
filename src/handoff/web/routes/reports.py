"""The Reports page: who carried the pager over a range, as a chart, a table and a CSV.

Every parameter comes from a GET form, so a value the page cannot use (a date that does not
exist, an unknown rotation, schedule or person, a range over 400 days, a report too big to
work out) shows a message and the default range (the last 30 days) instead of an error page.
Days are the viewer's days (reports.md: a person's zone is the default zone of their pages),
or the chosen rotation's or schedule's when they have no zone, else UTC days: the range runs
from midnight starting `since` to midnight ending `until` on that wall clock.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response

from handoff import report_table
from handoff.grid import load_zone, wall_instant
from handoff.http.deps import Conn, Now
from handoff.reports import Report
from handoff.store import reports, schedules, users
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
    zone: str = "UTC"  # whose days they are
    rotation: UUID | None = None
    schedule: UUID | None = None
    person: UUID | None = None
    errors: list[str] = field(default_factory=list)

    def bounds(self) -> tuple[datetime, datetime]:
        """Midnight starting `since` to midnight ending `until`, in `zone` (a day with a clock
        change counts its real hours)."""
        first = wall_instant(self.zone, datetime.combine(self.since, time()))
        return first, wall_instant(self.zone, datetime.combine(self.until + _DAY, time()))

    def query(self) -> str:
        params = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "rotation": self.rotation,
            "schedule": self.schedule,
            "person": self.person,
        }
        return urlencode({k: str(v) for k, v in params.items() if v is not None})


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value[:MAX_PARAMETER]) if value else None
    except ValueError:
        return None


def _parse(now: datetime, zone: str, since: str, until: str, ids: dict[str, str]) -> Choice:
    """The range and the filters (`ids`: rotation, schedule and person as typed)."""
    today = now.astimezone(load_zone(zone)).date()
    choice = Choice(today - timedelta(days=DEFAULT_DAYS - 1), today, zone)
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
    for name, value in ids.items():
        if value:
            setattr(choice, name, _uuid(value))
            if getattr(choice, name) is None:
                choice.errors.append(f"there is no {name} {value[:MAX_PARAMETER]!r}")
    if choice.errors:
        choice.errors.append(
            "showing the last 30 days" if not given else "showing what could be read"
        )
    return choice


async def _zone(conn: Conn, viewer: Viewer, now: datetime, rotation: str, schedule: str) -> str:
    """Whose days the range is in: the viewer's zone, else the chosen rotation's or
    schedule's (reports.md: a person's zone, without one the rotation's), else UTC."""
    me = viewer.signer.user_id
    if me is not None:
        mine = (await users.get(conn, me)).time_zone
        if mine is not None:
            return mine
    try:
        chosen_rotation, chosen_schedule = _uuid(rotation), _uuid(schedule)
        if chosen_rotation is not None:
            found = await views.rotation_choices(conn, now, "", chosen_rotation)
            return next(r.time_zone for r in found.rotations if r.id == chosen_rotation)
        if chosen_schedule is not None:
            return (await schedules.get(conn, chosen_schedule, now=now)).time_zone
    except (StoreError, StopIteration):
        pass  # an unknown one: its message comes with the report
    return "UTC"


async def _schedule_choices(
    conn: Conn, now: datetime, chosen: UUID | None
) -> list[schedules.Schedule]:
    """The schedule picker's options: the first page by name, and the chosen one wherever it
    falls (an unknown one is left out: the page says so)."""
    found = (await schedules.list_schedules(conn, now=now, limit=views.LIST_PAGE)).items
    if chosen is not None and all(s.id != chosen for s in found):
        with contextlib.suppress(StoreError):
            found.append(await schedules.get(conn, chosen, now=now))
    return found


async def _choice(
    conn: Conn,
    viewer: Viewer,
    now: datetime,
    since: str,
    until: str,
    ids: dict[str, str],
) -> Choice:
    zone = await _zone(conn, viewer, now, ids["rotation"], ids["schedule"])
    return _parse(now, zone, since, until, ids)


async def _report(conn: Conn, now: datetime, choice: Choice) -> Report:
    """The report asked for, or (with the store's message) the last 30 days of everyone, or
    (when even that is too big to work out) an empty report and both messages."""
    since, until = choice.bounds()
    try:
        return await reports.oncall(
            conn,
            since,
            until,
            now=now,
            rotation_id=choice.rotation,
            schedule_id=choice.schedule,
            user_id=choice.person,
        )
    except StoreError as exc:
        refused = str(exc)
        choice.errors.append(f"{refused}; showing the last {DEFAULT_DAYS} days of everyone")
    default = _parse(now, choice.zone, "", "", {})
    choice.since, choice.until = default.since, default.until
    choice.rotation = choice.schedule = choice.person = None
    since, until = choice.bounds()
    try:
        return await reports.oncall(conn, since, until, now=now)
    except StoreError as exc:
        choice.errors[-1:] = [refused, f"the last {DEFAULT_DAYS} days of everyone: {exc}"]
        return Report(since, until, now)


@router.get("/reports")
async def reports_page(
    request: Request,
    viewer: Viewer,
    conn: Conn,
    now: Now,
    since: str = "",
    until: str = "",
    rotation: str = "",
    schedule: str = "",
    person: str = "",
) -> Response:
    ids = {"rotation": rotation, "schedule": schedule, "person": person}
    choice = await _choice(conn, viewer, now, since, until, ids)
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
        rotations=(await views.rotation_choices(conn, now, "", choice.rotation)).rotations,
        schedules=await _schedule_choices(conn, now, choice.schedule),
    )


@router.get("/reports.csv")
async def reports_csv(
    viewer: Viewer,
    conn: Conn,
    now: Now,
    since: str = "",
    until: str = "",
    rotation: str = "",
    schedule: str = "",
    person: str = "",
) -> Response:
    """The table as the API's CSV, for a spreadsheet."""
    ids = {"rotation": rotation, "schedule": schedule, "person": person}
    choice = await _choice(conn, viewer, now, since, until, ids)
    report = await _report(conn, now, choice)
    filename = f"oncall-{choice.since}-{choice.until}.csv"
    return Response(
        report_table.as_csv(report),
        media_type=report_table.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
