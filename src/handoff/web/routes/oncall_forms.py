"""Overrides and scheduled changes from a rotation's page: cover a shift, plan a change.

Each form is a plain POST (it works without JavaScript) that calls one store function, which
applies oncall.md's rules under the rotation's lock; then back to the rotation's page with a
message (post/redirect/get). A refusal re-renders the form with the store's message next to the
field it names (422, or 409 for a conflict with another override or change), and a refused
delete re-renders the rotation's page with the message next to the list. The scheduled change
form previews the shifts the change produces with the same projection the engine follows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff.grid import GRID_TYPES, MAX_SHIFT_LENGTH, MIN_SHIFT_LENGTH
from handoff.http.deps import AppSettings, Conn, Now
from handoff.store import changes, overrides, projections, rotations
from handoff.store.errors import Conflict, Invalid, NotFound
from handoff.web import oncall_view, views
from handoff.web.flash import flash
from handoff.web.oncall_form import (
    CHANGE_FIELDS,
    ChangeForm,
    OverrideForm,
    save_override,
    wall_text,
    zone_or_utc,
)
from handoff.web.render import page
from handoff.web.routes.forms import ZONES
from handoff.web.routes.rotations import detail_page
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, CoverPosted, Posted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OVERRIDE_FORM = "override_form.html"
CHANGE_FORM = "change_form.html"


def _writer(viewer: Session) -> None:
    if not viewer.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")


def _coverer(viewer: Session) -> None:
    if not viewer.can_cover:
        raise Refused("covering shifts is for admins and responders")


def _back(request: Request, rotation_id: UUID, message: str) -> Response:
    response = RedirectResponse(f"/rotations/{rotation_id}", status_code=303)
    flash(request, response, message)
    return response


def _instant(text: str) -> datetime | None:
    """A shift's edge from a "Cover this shift" link; None for anything else."""
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


# ---- Overrides ------------------------------------------------------------------------------


async def _override_page(
    request: Request,
    viewer: Session,
    conn: Conn,
    rotation: rotations.Rotation,
    form: OverrideForm,
    override: overrides.Override | None = None,
    *,
    in_force: bool = False,
    status_code: int = 200,
) -> Response:
    choices = await views.person_choices(
        conn, views.who(request), [form.user, form.replaces, viewer.signer.user_id]
    )
    return page(
        request,
        OVERRIDE_FORM,
        status_code,
        session=viewer,
        r=rotation,
        zone=zone_or_utc(rotation.time_zone),
        form=form,
        override=override,
        in_force=in_force,
        people=choices.people,
        choices=choices,
    )


@router.get("/rotations/{rotation_id}/overrides/new")
async def new_override(
    request: Request,
    rotation_id: UUID,
    viewer: Viewer,
    conn: Conn,
    now: Now,
    start: str = "",
    end: str = "",
) -> Response:
    """The override form; from "Cover this shift", with the shift's start and end filled (a
    responder's puts them on call themselves)."""
    _coverer(viewer)
    rotation = await rotations.get(conn, rotation_id, now=now)
    begin, until = _instant(start), _instant(end)
    form = OverrideForm()
    if begin is not None and until is not None and until > now:
        form = OverrideForm.for_shift(begin, until, now, rotation.time_zone)
    return await _override_page(request, viewer, conn, rotation, form)


@router.post("/rotations/{rotation_id}/overrides")
async def create_override(
    request: Request,
    rotation_id: UUID,
    post: CoverPosted,
    conn: Conn,
    now: Now,
    settings: AppSettings,
) -> Response:
    rotation = await rotations.get(conn, rotation_id, now=now)
    form = OverrideForm.from_form(post.form)

    async def write(draft: overrides.Draft) -> None:
        signer = post.session.signer
        if not post.session.can_write and draft.user_id != signer.user_id:
            raise Refused("a responder covers shifts themselves")
        await overrides.create(conn, rotation_id, draft, limit=settings.max_overrides)

    status = await save_override(form, rotation.time_zone, write)
    if status is None:
        return _back(request, rotation_id, "Saved the override.")
    return await _override_page(request, post.session, conn, rotation, form, status_code=status)


@router.get("/rotations/{rotation_id}/overrides/{override_id}/edit")
async def edit_override(
    request: Request, rotation_id: UUID, override_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _writer(viewer)
    rotation = await rotations.get(conn, rotation_id, now=now)
    found = await overrides.get(conn, rotation_id, override_id)
    form = OverrideForm.from_override(found, rotation.time_zone)
    if found.phase(now) == "ended":
        form.errors["form"] = "this override has ended: it is history and cannot change"
    in_force = found.phase(now) == "in force"
    return await _override_page(request, viewer, conn, rotation, form, found, in_force=in_force)


@router.post("/rotations/{rotation_id}/overrides/{override_id}/edit")
async def update_override(
    request: Request,
    rotation_id: UUID,
    override_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    """Save the form; for an override in force only its end and note (the rest is frozen)."""
    rotation = await rotations.get(conn, rotation_id, now=now)
    found = await overrides.get(conn, rotation_id, override_id)
    in_force = found.phase(now) == "in force"
    form = OverrideForm.from_form(post.form)

    async def write(draft: overrides.Draft) -> None:
        edit: dict[str, Any] = {"end": draft.end, "note": draft.note}
        if not in_force:
            edit |= {
                "start": draft.start,
                "user_id": draft.user_id,
                "replaces_user_id": draft.replaces_user_id,
            }
        await overrides.update(conn, rotation_id, override_id, edit)

    status = await save_override(form, rotation.time_zone, write, found if in_force else None)
    if status is None:
        return _back(request, rotation_id, "Saved the override.")
    return await _override_page(
        request, post.session, conn, rotation, form, found, in_force=in_force, status_code=status
    )


@router.post("/rotations/{rotation_id}/overrides/{override_id}/delete")
async def delete_override(
    request: Request,
    rotation_id: UUID,
    override_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    """Remove a future override, or end one in force now."""
    try:
        ended = await overrides.delete(conn, rotation_id, override_id)
    except (Conflict, NotFound) as exc:
        status = 404 if isinstance(exc, NotFound) else 409
        return await detail_page(
            request, post.session, conn, now, rotation_id, plan_error=str(exc), status_code=status
        )
    message = "Removed the override." if ended is None else "Ended the override now."
    return _back(request, rotation_id, message)


# ---- Scheduled changes ----------------------------------------------------------------------


async def _change_page(
    request: Request,
    viewer: Session,
    conn: Conn,
    rotation: rotations.Rotation,
    form: ChangeForm,
    change: changes.Change | None = None,
    *,
    status_code: int = 200,
) -> Response:
    shifts, problem = await _preview(conn, rotation, form, change)
    slots = form.slots([p.user_id for p in rotation.participants])
    choices = await views.person_choices(conn, views.who(request), slots)
    return page(
        request,
        CHANGE_FORM,
        status_code,
        session=viewer,
        r=rotation,
        form=form,
        change=change,
        people=choices.people,
        choices=choices,
        slots=slots,
        zones=ZONES,
        types=GRID_TYPES,
        min_length=MIN_SHIFT_LENGTH,
        max_length=MAX_SHIFT_LENGTH,
        shifts=shifts,
        problem=problem,
        shown_zone=zone_or_utc(form.time_zone or rotation.time_zone),
    )


async def _preview(
    conn: Conn, rotation: rotations.Rotation, form: ChangeForm, change: changes.Change | None
) -> tuple[list[oncall_view.PreviewShift], str | None]:
    """The shifts the change produces, or why there are none to show."""
    trial = replace(form, errors={})  # the page shows the form's own errors, not these
    read = trial.read(rotation.time_zone)
    if read is None:
        return [], "; ".join(f"{name.replace('_', ' ')}: {m}" for name, m in trial.errors.items())
    try:
        shifts = await oncall_view.preview(conn, rotation.id, *read, change.id if change else None)
    except ValueError as exc:
        return [], str(exc)
    return shifts, None


@router.get("/rotations/{rotation_id}/changes/new")
async def new_change(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    """The form, effective at the next handoff (a change then disturbs no shift), with the
    pending changes applied (one may move the next handoff)."""
    _writer(viewer)
    rotation = await rotations.get(conn, rotation_id, now=now)
    upcoming = await projections.next_handoffs(conn, rotation_id, 1, now=now)
    when = upcoming[0][0] if upcoming else rotation.next_handoff
    form = ChangeForm(effective_at="" if when is None else wall_text(when, rotation.time_zone))
    return await _change_page(request, viewer, conn, rotation, form)


async def _save_change(
    request: Request,
    post: AdminPosted,
    conn: Conn,
    now: datetime,
    rotation_id: UUID,
    limit: int,
    change: changes.Change | None,
) -> Response:
    rotation = await rotations.get(conn, rotation_id, now=now)
    form = ChangeForm.from_form(post.form)
    read = form.read(rotation.time_zone)
    status = 422
    if read is not None:
        when, fields = read
        try:
            if change is None:
                await changes.create(conn, rotation_id, when, fields, form.note, limit=limit)
            else:
                await changes.update(
                    conn,
                    rotation_id,
                    change.id,
                    effective_at=when,
                    change=fields,
                    note=form.note,
                    limit=limit,
                )
        except Invalid as exc:
            form.add_errors(exc)
        except Conflict as exc:
            form.errors["form"], status = str(exc), 409
        else:
            return _back(request, rotation_id, "Saved the scheduled change.")
    return await _change_page(
        request, post.session, conn, rotation, form, change, status_code=status
    )


@router.post("/rotations/{rotation_id}/changes")
async def create_change(
    request: Request,
    rotation_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    settings: AppSettings,
) -> Response:
    return await _save_change(
        request, post, conn, now, rotation_id, settings.max_participants, None
    )


@router.post("/rotations/{rotation_id}/changes/preview")
async def preview_change(
    request: Request, rotation_id: UUID, post: Posted, conn: Conn, now: Now
) -> Response:
    """The preview fragment the form swaps in as it is typed (`change_id`: the one edited),
    with each field's message swapped in out of band, as the rotation form's preview does."""
    rotation = await rotations.get(conn, rotation_id, now=now)
    form = ChangeForm.from_form(post.form)
    editing = post.form.get("change_id")
    change = None
    if isinstance(editing, str) and editing:
        change = await changes.get(conn, rotation_id, _id(editing))
    shifts, problem = await _preview(conn, rotation, form, change)
    form.read(rotation.time_zone)  # each field's own message, swapped in out of band
    return page(
        request,
        "change_preview.html",
        shifts=shifts,
        problem=problem,
        shown_zone=zone_or_utc(form.time_zone or rotation.time_zone),
        form=form,
        fields=CHANGE_FIELDS,
        oob=True,
    )


def _id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("scheduled change", text) from None


@router.get("/rotations/{rotation_id}/changes/{change_id}/edit")
async def edit_change(
    request: Request, rotation_id: UUID, change_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _writer(viewer)
    rotation = await rotations.get(conn, rotation_id, now=now)
    found = await changes.get(conn, rotation_id, change_id)
    form = ChangeForm.from_change(found, rotation.time_zone)
    if found.has_happened(now):
        form.errors["form"] = "this change has taken effect: it cannot change"
    return await _change_page(request, viewer, conn, rotation, form, found)


@router.post("/rotations/{rotation_id}/changes/{change_id}/edit")
async def update_change(
    request: Request,
    rotation_id: UUID,
    change_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    settings: AppSettings,
) -> Response:
    found = await changes.get(conn, rotation_id, change_id)
    return await _save_change(
        request, post, conn, now, rotation_id, settings.max_participants, found
    )


@router.post("/rotations/{rotation_id}/changes/{change_id}/delete")
async def delete_change(
    request: Request,
    rotation_id: UUID,
    change_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    try:
        await changes.delete(conn, rotation_id, change_id)
    except (Conflict, NotFound) as exc:
        status = 404 if isinstance(exc, NotFound) else 409
        return await detail_page(
            request, post.session, conn, now, rotation_id, plan_error=str(exc), status_code=status
        )
    return _back(request, rotation_id, "Removed the scheduled change.")
