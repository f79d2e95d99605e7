"""Times typed for a rotation: RFC 3339 with any offset, or a wall time in the rotation's zone
(a time in a DST gap is the first instant after it, a repeated time its first occurrence).

The override, swap and scheduled-change commands read them alike, so each mistake is the same
one line with exit code 2 whichever command meets it.
"""

from __future__ import annotations

from datetime import datetime

from handoff.cli.run import parse_time

TIME_HELP = "RFC 3339, or a wall time in the rotation's zone (e.g. 2026-03-03T18:00)."


def instant(value: str, option: str, zone: str | None) -> datetime:
    """An instant with any offset, or a wall time read in `zone` (without one, an offset is
    required)."""
    try:
        naive = datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        naive = False  # parse_time reports it
    return parse_time(value, option, zone if naive else None)


def window(start: str, end: str, zone: str) -> tuple[datetime, datetime]:
    """--start and --end read in `zone`, --start's mistake first (the store checks the order)."""
    return instant(start, "--start", zone), instant(end, "--end", zone)
