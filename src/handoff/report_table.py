"""The on-call report as the API, the CLI and the web page hand it out: JSON and CSV.

The API's CSV and `handoff report oncall --csv` are these bytes: a header row, RFC 4180
quoting and CRLF line ends, UTF-8 with a byte order mark (spreadsheets read UTF-8 only with
it), and text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
carriage return first) prefixed with an apostrophe, as OWASP advises. Hours are seconds over
3,600, rounded to the microhour; the exact `seconds` are given beside them.
"""

from __future__ import annotations

import csv
import io
from uuid import UUID

from handoff.reports import Report, Row, Total

# A row's fields, in the CSV's column order.
COLUMNS = (
    "user_id",
    "name",
    "rotation_id",
    "rotation",
    "schedule_id",
    "hours",
    "past_hours",
    "planned_hours",
    "intervals",
    "turns",
    "night_hours",
    "weekend_hours",
    "covered_for_others_hours",
    "covered_by_others_hours",
    "seconds",
)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")
_BOM = "\ufeff"
_SECONDS_PER_HOUR = 3600


def hours(seconds: int) -> float:
    return round(seconds / _SECONDS_PER_HOUR, 6)


def _ids(timeline_id: UUID, schedule: bool) -> tuple[str | None, str | None]:
    """(rotation_id, schedule_id): a row or total is one rotation's or one schedule's."""
    return (None, str(timeline_id)) if schedule else (str(timeline_id), None)


def row_fields(row: Row, rotation: str) -> dict[str, object]:
    """A row as JSON values, in COLUMNS order; `rotation` names its rotation or schedule."""
    rotation_id, schedule_id = _ids(row.rotation_id, row.schedule)
    return {
        "user_id": str(row.user_id),
        "name": row.name,
        "rotation_id": rotation_id,
        "rotation": rotation,
        "schedule_id": schedule_id,
        "hours": hours(row.seconds),
        "past_hours": hours(row.past_seconds),
        "planned_hours": hours(row.planned_seconds),
        "intervals": row.intervals,
        "turns": row.turns,
        "night_hours": hours(row.night_seconds),
        "weekend_hours": hours(row.weekend_seconds),
        "covered_for_others_hours": hours(row.covered_for_others_seconds),
        "covered_by_others_hours": hours(row.covered_by_others_seconds),
        "seconds": row.seconds,
    }


def total_fields(total: Total) -> dict[str, object]:
    rotation_id, schedule_id = _ids(total.rotation_id, total.schedule)
    return {
        "rotation_id": rotation_id,
        "rotation": total.name,
        "schedule_id": schedule_id,
        "hours": hours(total.seconds),
        "gap_hours": hours(total.gap_seconds),
        "spread_hours": hours(total.spread_seconds),
        "seconds": total.seconds,
        "gap_seconds": total.gap_seconds,
    }


def rotation_names(report: Report) -> dict[UUID, str]:
    """The rotations' and schedules' names by id."""
    return {t.rotation_id: t.name for t in report.totals}


def as_json(report: Report) -> dict[str, object]:
    names = rotation_names(report)
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "now": report.now.isoformat(),
        "items": [row_fields(r, names[r.rotation_id]) for r in report.rows],
        "totals": [total_fields(t) for t in report.totals],
    }


def as_csv(report: Report) -> bytes:
    names = rotation_names(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        fields = row_fields(row, names[row.rotation_id])
        writer.writerow(_cell(fields[c]) for c in COLUMNS)
    return (_BOM + out.getvalue()).encode()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_FIRST):
        return "'" + value
    return value
