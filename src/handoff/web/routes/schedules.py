"""The Schedules page (list, create form picking rotations in order) and a schedule's page:
the final lane on top, a lane per layer, the overrides lane, the next 4 weeks' gaps, history.

Every write goes through `store.schedules` as the API and the CLI do."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import Conn, Now
from handoff.store import rotations as rotation_store
from handoff.store import schedules, subscribed, users
from handoff.store.errors import Conflict, Invalid
from handoff.web import schedule_lanes, views
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.routes.notifications_links import subscription_card
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
LAYER_SLOTS = 4  # layers the create form offers; the API and CLI take up to 20
SHOWN = timedelta(days=7)
COVERAGE = timedelta(weeks=4)
HISTORY = 20
OVERRIDES = 50  # the overrides that have not ended, soonest first


async def _list_page(
    request: Request, session: Session, conn: Conn, now: Now, error: str = "", status: int = 200
) -> Response:
    found = await schedules.list_schedules(conn, now=now, limit=200)
    people = {u for s in found.items for u in s.on_call_user_ids}
    choices = await views.rotation_choices(conn, now, views.named(request), None)
    return page(
        request,
        "schedules.html",
        status,
        session=session,
        schedules=found.items,
        names=await users.names(conn, list(people)),
        choices=choices,
        layer_slots=LAYER_SLOTS,
        error=error,
    )


@router.get("/schedules")
async def schedules_page(request: Request, viewer: Viewer, conn: Conn, now: Now) -> Response:
    return await _list_page(request, viewer, conn, now)


@router.post("/schedules")
async def create_schedule(request: Request, post: AdminPosted, conn: Conn, now: Now) -> Response:
    form = post.form

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    try:
        layers = [UUID(v) for v in form.getlist("layer") if isinstance(v, str) and v]
        draft = schedules.Draft(
            name=text("name"),
            time_zone=text("time_zone"),
            combine=text("combine"),
            layers=layers,
        )
        created = await schedules.create(conn, draft, now=now)
    except ValueError:
        return await _list_page(request, post.session, conn, now, "layers: not a rotation", 422)
    except Invalid as exc:
        return await _list_page(request, post.session, conn, now, str(exc), 422)
    except Conflict as exc:
        return await _list_page(request, post.session, conn, now, str(exc), 409)
    response = RedirectResponse(f"/schedules/{created.id}", status_code=303)
    flash(request, response, f"Created schedule {created.name}.")
    return response


@router.get("/schedules/{schedule_id}")
async def schedule_page(
    request: Request, schedule_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    return await detail_page(request, viewer, conn, now, schedule_id)


async def detail_page(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    schedule_id: UUID,
    *,
    error: str | None = None,
    override_error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The page; a refused layer or combine edit shows `error` by the layers, a refused
    override delete `override_error` by the overrides."""
    found, pieces = await schedules.pieces(conn, schedule_id, now, now + SHOWN)
    coverage = await schedules.coverage(conn, schedule_id, now, now + COVERAGE)
    history = (await schedules.history(conn, schedule_id, limit=HISTORY)).items
    upcoming = await schedules.list_overrides(conn, schedule_id, now=now, limit=OVERRIDES)
    layered = await rotation_store.get_many(
        conn, [layer.rotation_id for layer in found.layers], now=now
    )
    people = {u for p in pieces for u in (*p.user_ids, *(x for x in p.layer_user_ids if x))}
    people |= {u for h in history for u in (*h.from_user_ids, *h.to_user_ids)}
    people |= {u for o in upcoming for u in (o.user_id, o.replaces_user_id) if u is not None}
    names = await users.names(conn, list(people))
    layer_names = [
        layered[layer.rotation_id].name if layer.rotation_id in layered else "?"
        for layer in found.layers
    ]
    in_use = {layer.rotation_id for layer in found.layers}
    choices = (
        await views.rotation_choices(conn, now, views.named(request), None)
        if viewer.can_write
        else None
    )
    return page(
        request,
        "schedule.html",
        status_code,
        session=viewer,
        s=found,
        names=names,
        lanes=schedule_lanes.lanes(pieces, layer_names, names),
        layer_names=layer_names,
        addable=[r for r in choices.rotations if r.id not in in_use] if choices else [],
        choices=choices,
        overrides=upcoming,
        now=now,
        coverage=coverage,
        history=history,
        error=error,
        override_error=override_error,
        **await subscription_card(conn, subscribed.SCHEDULE, found),
    )
