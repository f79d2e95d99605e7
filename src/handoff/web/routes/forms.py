"""Create, edit and delete a rotation, and the form's live preview of the next handoffs.

The preview runs the same code as `POST /api/v1/rotations/preview` (`rotations.check_grid`,
then the grid's `next_handoffs`), so what the form shows is what the API and the engine will
do. Field errors travel back with the preview as out-of-band swaps into each field's message.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import available_timezones

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.grid import GRID_TYPES, MAX_SHIFT_LENGTH, MIN_SHIFT_LENGTH
from handoff.http.deps import AppSettings, Conn, Now
from handoff.store import rotations
from handoff.store.errors import Conflict, Invalid
from handoff.web import views, words
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.rotation_form import FIELDS, RotationForm
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Posted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ZONES = sorted(available_timezones())


def _require_writer(viewer: Session) -> None:
    if not viewer.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")


def _preview(form: RotationForm, now: datetime) -> tuple[list[datetime], str | None]:
    grid = form.grid()
    if grid is None:
        return [], None
    try:
        handoffs = grid.next_handoffs(now, views.PREVIEW_COUNT)
    except ValueError as exc:
        form.errors["start"] = str(exc)
        return [], None
    return handoffs, words.describe(grid.type, grid.shift_length, grid.start, form.time_zone)


def _form_page(
    request: Request,
    viewer: Session,
    form: RotationForm,
    now: datetime,
    rotation: rotations.Rotation | None,
    status_code: int = 200,
) -> Response:
    handoffs, phrase = _preview(form, now)
    return page(
        request,
        "rotation_form.html",
        status_code,
        session=viewer,
        form=form,
        rotation=rotation,
        zones=ZONES,
        types=GRID_TYPES,
        min_length=MIN_SHIFT_LENGTH,
        max_length=MAX_SHIFT_LENGTH,
        handoffs=handoffs,
        phrase=phrase,
        fields=FIELDS,
    )


@router.get("/rotations/new")
async def new_rotation(request: Request, viewer: Viewer, now: Now) -> Response:
    _require_writer(viewer)
    form = RotationForm(start=now.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M"))
    return _form_page(request, viewer, form, now, None)


@router.post("/rotations/new")
async def create_rotation(
    request: Request, post: AdminPosted, conn: Conn, now: Now, settings: AppSettings
) -> Response:
    form = RotationForm.from_form(post.form)
    config = form.config()
    if config is not None:
        try:
            created = await rotations.create(conn, config, limit=settings.max_participants)
        except Invalid as exc:
            form.add_errors(exc)
        except Conflict as exc:
            form.errors["name"] = str(exc)
        else:
            response = RedirectResponse(f"/rotations/{created.id}", status_code=303)
            flash(request, response, f"Created {created.name}.")
            return response
    return _form_page(request, post.session, form, now, None, 422)


@router.post("/rotations/preview")
async def preview(request: Request, post: Posted, now: Now) -> Response:
    """The preview fragment, with each field's message swapped in out of band."""
    form = RotationForm.from_form(post.form)
    handoffs, phrase = _preview(form, now)
    return page(
        request,
        "preview.html",
        form=form,
        handoffs=handoffs,
        phrase=phrase,
        fields=FIELDS,
        oob=True,
    )


@router.get("/rotations/{rotation_id}/edit")
async def edit_rotation(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _require_writer(viewer)
    rotation = await rotations.get(conn, rotation_id, now=now)
    return _form_page(request, viewer, RotationForm.from_rotation(rotation), now, rotation)


@router.post("/rotations/{rotation_id}/edit")
async def update_rotation(
    request: Request,
    rotation_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    settings: AppSettings,
) -> Response:
    """Save every field; the store restarts the current shift only if the grid changed."""
    rotation = await rotations.get(conn, rotation_id, now=now)
    form = RotationForm.from_form(post.form)
    config = form.config()
    if config is not None:
        patch = rotations.Patch(
            name=config.name,
            description=config.description,
            type=config.type,
            shift_length=config.shift_length,
            start=config.start,
            time_zone=config.time_zone,
        )
        try:
            await rotations.update(conn, rotation_id, patch, limit=settings.max_participants)
        except Invalid as exc:
            form.add_errors(exc)
        except Conflict as exc:
            form.errors["name"] = str(exc)
        else:
            response = RedirectResponse(f"/rotations/{rotation_id}", status_code=303)
            flash(request, response, "Saved.")
            return response
    return _form_page(request, post.session, form, now, rotation, 422)


@router.post("/rotations/{rotation_id}/delete")
async def delete_rotation(
    request: Request, rotation_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    rotation = await rotations.get(conn, rotation_id, now=now)
    await rotations.delete(conn, rotation_id)
    response = RedirectResponse("/rotations", status_code=303)
    flash(request, response, f"Deleted {rotation.name}.")
    return response
