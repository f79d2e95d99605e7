"""A person's page: their upcoming shifts in every rotation, the rotations they are in, the
overrides that name them, their reminders, and the link to their personal calendar feed.

The feed link carries a feed token (store.feeds) because calendar clients cannot send headers.
Only its hash is stored, so the link is shown once, on the page an admin gets when making it;
afterwards the page says when the live one was made and last used, and an admin (or the person
themselves, as a responder) can replace or revoke it. Readers see neither the link nor its dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff import report_table
from handoff.http.deps import Conn, Now
from handoff.reports import Report
from handoff.store import calendar, feeds, notify, overrides, reports, rotations, swaps, users
from handoff.store.errors import StoreError
from handoff.store.pagination import MAX_LIMIT
from handoff.web import colours, swaps_view, views
from handoff.web.flash import flash, once, show_once, take_once
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import SelfOrAdminPosted, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
UPCOMING = timedelta(days=28)
REPORTED = timedelta(days=30)  # the on-call summary: the last and the next 30 days
MAX_SHIFTS_SHOWN = 50
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
LEAD_UNITS = (("day", MINUTES_PER_DAY), ("hour", MINUTES_PER_HOUR), ("minute", 1))


@dataclass(frozen=True, slots=True)
class Reminder:
    id: UUID
    when: str  # "1 hour before" (each shift)
    channel: notify.Channel


async def reminders_of(conn: Conn, user_id: UUID) -> tuple[list[Reminder], list[notify.Channel]]:
    """The person's reminders and every channel (the add form's choices): the person page and
    the reminders page list them with the same template, once."""
    channels = await notify.list_channels(conn)
    by_id = {c.id: c for c in channels}
    reminders = [
        Reminder(r.id, before(r.before_minutes), by_id[r.channel_id])
        for r in await notify.list_reminders(conn, user_id)
        if r.channel_id in by_id
    ]
    return reminders, channels


def before(minutes: int) -> str:
    """A reminder's lead time, to go before "each shift": "at the start of", "15 minutes
    before", "1 day before"."""
    if minutes == 0:
        return "at the start of"
    unit, size = next((unit, size) for unit, size in LEAD_UNITS if minutes % size == 0)
    count = minutes // size
    return f"{count} {unit}{'s' if count > 1 else ''} before"


def feed_url(request: Request, user_id: UUID, secret: str) -> str:
    """The feed's absolute address, as a calendar client needs it."""
    return str(
        request.url_for("personal_calendar", user_id=user_id).include_query_params(token=secret)
    )


async def _summaries(conn: Conn, now: datetime, user_id: UUID) -> list[tuple[str, Report | str]]:
    """The person's reports over the last and the next 30 days, from one read and one
    projection of each of their rotations; or, for both, why they are not worked out (too
    many rotations: the report's bound on work, reports.MAX_PIECES)."""
    labels = ("last", "next")
    try:
        found = await reports.oncall_ranges(
            conn, [(now - REPORTED, now), (now, now + REPORTED)], now=now, user_id=user_id
        )
    except StoreError as exc:
        return [(label, str(exc)) for label in labels]
    return list(zip(labels, found, strict=True))


async def _page(
    request: Request,
    session: Session,
    conn: Conn,
    now: Now,
    user_id: UUID,
    new_feed_url: str | None = None,
) -> Response:
    person = await views.person(conn, user_id, now)
    upcoming = await calendar.project(conn, now, now + UPCOMING, user_id=user_id)
    shifts = sorted(upcoming.segments, key=lambda s: (s.start, s.end))
    feed = await feeds.live(conn, user_id) if session.may_manage(user_id) else None
    naming = (await overrides.list_overrides(conn, limit=MAX_LIMIT, user_id=user_id)).items
    named_in = await rotations.get_many(conn, [o.rotation_id for o in naming], now=now)
    rotation_names = {rid: r.name for rid, r in named_in.items()}
    others = {o.user_id for o in naming} | {o.replaces_user_id for o in naming}
    reminders, channels = await reminders_of(conn, user_id)
    names = await users.names(conn, [u for u in others if u is not None])
    summary = await _summaries(conn, now, user_id)
    theirs = await swaps.list_swaps(conn, limit=MAX_LIMIT, user_id=user_id, not_ended=True)
    return page(
        request,
        "person.html",
        session=session,
        p=person,
        upcoming=upcoming,
        shifts=shifts[:MAX_SHIFTS_SHOWN],
        more_shifts=len(shifts) > MAX_SHIFTS_SHOWN,
        days=UPCOMING.days,
        feed=feed,
        overrides=naming,
        rotation_names=rotation_names,
        names=names,
        reminders=reminders,
        channels=channels,
        errors={},
        typed="",
        max_minutes=notify.MAX_BEFORE_MINUTES,
        new_feed_url=new_feed_url,
        now=now,
        colour=colours.of(user_id),
        summary=summary,
        summary_days=REPORTED.days,
        hours=report_table.hours,
        rotation_names_of=report_table.rotation_names,
        swaps=swaps_view.rows(session, theirs.items, now),
    )


@router.get("/people/{user_id}")
async def person_page(
    request: Request, user_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    secret = once(request)  # the feed's token, right after "make a link": the page shows it once
    url = feed_url(request, user_id, secret) if secret else None
    response = await _page(request, viewer, conn, now, user_id, new_feed_url=url)
    take_once(request, response)
    return response


@router.post("/people/{user_id}/feed")
async def make_feed(
    request: Request, user_id: UUID, post: SelfOrAdminPosted, conn: Conn, now: Now
) -> Response:
    """A new feed link (the last one stops working), shown once, by the page this redirects to."""
    _, secret = await feeds.create(conn, user_id, now=now)
    response = RedirectResponse(f"/people/{user_id}#feed", status_code=303)
    show_once(request, response, f"/people/{user_id}", secret)
    return response


@router.post("/people/{user_id}/feed/revoke")
async def revoke_feed(
    request: Request, user_id: UUID, post: SelfOrAdminPosted, conn: Conn, now: Now
) -> Response:
    await feeds.revoke(conn, user_id, now=now)
    response = RedirectResponse(f"/people/{user_id}#feed", status_code=303)
    flash(request, response, "Revoked the feed link: calendars using it stop updating.")
    return response
