"""Templates and the filters they share, so every page formats times and rotations alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from handoff.web import words
from handoff.web.csrf import FIELD, HEADER

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _iso(instant: datetime) -> str:
    """UTC with a Z, as the API writes times; the page's script turns it into local time."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _in_zone(instant: datetime, time_zone: str) -> str:
    """The rotation's wall clock; UTC for a zone this server does not know (stored by hand)."""
    try:
        return words.in_zone(instant, time_zone)
    except (KeyError, ValueError, OSError):
        return words.in_zone(instant, "UTC")


def _sentence(text: str) -> str:
    """A store message or a phrase as a sentence: capital first letter, one final period."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _lag_seconds(seconds: float) -> str:
    return words.format_lag(timedelta(seconds=seconds))


TEMPLATES.env.filters.update(
    iso=_iso,
    in_zone=_in_zone,
    lag=words.format_lag,
    lag_seconds=_lag_seconds,
    sentence=_sentence,
)
TEMPLATES.env.globals.update(csrf_field=FIELD, csrf_header=HEADER)


# Pages carry one-click write buttons and CSRF tokens: never framed (clickjacking), never cached.
HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, name, context, status_code=status_code, headers=HEADERS
    )
