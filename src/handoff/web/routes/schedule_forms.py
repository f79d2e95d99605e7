"""A schedule's writes from its page: its name, description and time zone (the edit form),
its layers (add, remove, move up or down), how they combine, its own overrides (add, edit,
delete or end), and its deletion.

Each form is a plain POST (it works without JavaScript) that calls the store function the API
calls (`store.schedules`: one write path, recorded `layers_changed` or `override_started` at
the request), then back to the schedule's page with a message (post/redirect/get). A refused
layer or combine edit re-renders the page with the store's message by the layers; the edit
form and the override form show their errors next to the fields, as the rotation's forms do
(the override form is the rotation's, typed in the schedule's zone).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from handoff import schedule_layers
from handoff.http.deps import Conn, Now
from handoff.store import overrides, schedules
from handoff.store.errors import Conflict, Invalid, NotFound, StoreError, invalid
from handoff.web import views
from handoff.web.field_errors import add_field_errors
from handoff.web.flash import flash
from handoff.web.oncall_form import OverrideForm, save_override, zone_or_utc
from handoff.web.render import page
from handoff.web.routes.forms import ZONES
from handoff.web.routes.schedules import detail_page
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
HINT = (
    "Someone else, someone more, or nobody is on call for a while: the layers keep rotating "
    "underneath. Times are wall-clock times in {zone}; a time the clocks skip is read as the "
    "first instant after the change."
)


def _back(request: Request, schedule_id: UUID, message: str) -> Response:
    response = RedirectResponse(f"/schedules/{schedule_id}", status_code=303)
    flash(request, response, message)
    return response


def _field(post: AdminPosted, name: str) -> str:
    value = post.form.get(name)
    return value if isinstance(value, str) else ""


def _writer(viewer: Session) -> None:
    if not viewer.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")


def _rotation(post: AdminPosted) -> UUID:
    try:
        return UUID(_field(post, "rotation_id"))
    except ValueError:
        raise invalid("rotation", "choose a rotation from the list") from None


# ---- Name, description and time zone --------------------------------------------------------

EDIT_FIELDS = ("name", "description", "time_zone")


@dataclass
class EditForm:
    """The edit form's fields as typed, and a message for each field the store refused."""

    name: str = ""
    description: str = ""
    time_zone: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def add_errors(self, exc: Invalid) -> None:
        add_field_errors(self.errors, exc, EDIT_FIELDS)


def _edit_page(
    request: Request,
    viewer: Session,
    schedule: schedules.Schedule,
    form: EditForm,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "schedule_form.html",
        status_code,
        session=viewer,
        s=schedule,
        form=form,
        zones=ZONES,
        max_name=schedules.MAX_NAME,
        max_description=schedules.MAX_DESCRIPTION,
    )


@router.get("/schedules/{schedule_id}/edit")
async def edit_schedule(
    request: Request, schedule_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _writer(viewer)
    found = await schedules.get(conn, schedule_id, now=now)
    form = EditForm(found.name, found.description, found.time_zone)
    return _edit_page(request, viewer, found, form)


@router.post("/schedules/{schedule_id}/edit")
async def update_schedule(
    request: Request, schedule_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """Save the three fields as a PATCH of them does (the store checks them all and changes
    nothing if one is refused); the layers and how they combine stay."""
    found = await schedules.get(conn, schedule_id, now=now)
    form = EditForm(_field(post, "name"), _field(post, "description"), _field(post, "time_zone"))
    status = 422
    try:
        await schedules.update(
            conn,
            schedule_id,
            now=now,
            name=form.name,
            description=form.description,
            time_zone=form.time_zone,
        )
    except Invalid as exc:
        form.add_errors(exc)
    except Conflict as exc:  # the name is another schedule's
        form.errors["name"], status = str(exc), 409
    else:
        return _back(request, schedule_id, "Saved.")
    return _edit_page(request, post.session, found, form, status)


# ---- Layers and combine ---------------------------------------------------------------------


async def _relayer(
    request: Request,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    schedule_id: UUID,
    step: Callable[[list[UUID]], list[UUID]],
    done: str,
) -> Response:
    """Apply one step to the layer list and save it as a PATCH of `layers` does."""
    try:
        current = await schedules.get(conn, schedule_id, now=now)
        layers = step([layer.rotation_id for layer in current.layers])
        await schedules.update(conn, schedule_id, now=now, layers=layers)
    except StoreError as exc:
        return await _refused(request, post.session, conn, now, schedule_id, exc)
    return _back(request, schedule_id, done)


async def _refused(
    request: Request, viewer: Session, conn: Conn, now: Now, schedule_id: UUID, exc: StoreError
) -> Response:
    if isinstance(exc, NotFound):
        raise exc
    status = 409 if isinstance(exc, Conflict) else 422
    return await detail_page(
        request, viewer, conn, now, schedule_id, error=str(exc), status_code=status
    )


@router.post("/schedules/{schedule_id}/layers")
async def add_layer(
    request: Request, schedule_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """A rotation added as the bottom layer."""
    try:
        rotation_id = _rotation(post)
    except Invalid as exc:
        return await _refused(request, post.session, conn, now, schedule_id, exc)
    return await _relayer(
        request,
        post,
        conn,
        now,
        schedule_id,
        lambda layers: schedule_layers.added(layers, rotation_id),
        "Added the layer at the bottom.",
    )


@router.post("/schedules/{schedule_id}/layers/{rotation_id}/move")
async def move_layer(
    request: Request, schedule_id: UUID, rotation_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """One place up or down (`direction`); the layer is named by its rotation."""
    direction = _field(post, "direction")
    if direction not in ("up", "down"):
        exc = invalid("direction", "must be up or down")
        return await _refused(request, post.session, conn, now, schedule_id, exc)

    def step(layers: list[UUID]) -> list[UUID]:
        at = layers.index(rotation_id) if rotation_id in layers else 0
        return schedule_layers.moved(layers, rotation_id, at + (-1 if direction == "up" else 1))

    return await _relayer(
        request, post, conn, now, schedule_id, step, f"Moved the layer {direction}."
    )


@router.post("/schedules/{schedule_id}/layers/{rotation_id}/remove")
async def remove_layer(
    request: Request, schedule_id: UUID, rotation_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    return await _relayer(
        request,
        post,
        conn,
        now,
        schedule_id,
        lambda layers: schedule_layers.removed(layers, rotation_id),
        "Removed the layer.",
    )


@router.post("/schedules/{schedule_id}/combine")
async def set_combine(
    request: Request, schedule_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    try:
        await schedules.update(conn, schedule_id, now=now, combine=_field(post, "combine"))
    except StoreError as exc:
        return await _refused(request, post.session, conn, now, schedule_id, exc)
    return _back(request, schedule_id, "Saved how the layers combine.")


@router.post("/schedules/{schedule_id}/delete")
async def delete_schedule(
    request: Request, schedule_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """Delete the schedule (its rotations stay), then to the Schedules page."""
    found = await schedules.get(conn, schedule_id, now=now)
    await schedules.delete(conn, schedule_id)
    response = RedirectResponse("/schedules", status_code=303)
    flash(request, response, f"Deleted schedule {found.name}; its rotations stay.")
    return response


# ---- Schedule overrides ---------------------------------------------------------------------


async def _override_page(
    request: Request,
    viewer: Session,
    conn: Conn,
    schedule: schedules.Schedule,
    form: OverrideForm,
    override: schedules.Override | None = None,
    *,
    in_force: bool = False,
    status_code: int = 200,
) -> Response:
    zone = zone_or_utc(schedule.time_zone)
    choices = await views.person_choices(
        conn, views.who(request), [form.user, form.replaces, viewer.signer.user_id]
    )
    return page(
        request,
        "override_form.html",
        status_code,
        session=viewer,
        r=schedule,
        base=f"/schedules/{schedule.id}",
        section=("Schedules", "/schedules"),
        hint=HINT.format(zone=zone),
        zone=zone,
        form=form,
        override=override,
        in_force=in_force,
        people=choices.people,
        choices=choices,
    )


@router.get("/schedules/{schedule_id}/overrides/new")
async def new_override(
    request: Request, schedule_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _writer(viewer)
    found = await schedules.get(conn, schedule_id, now=now)
    return await _override_page(request, viewer, conn, found, OverrideForm())


async def _save(
    request: Request,
    post: AdminPosted,
    conn: Conn,
    now: Now,
    schedule_id: UUID,
    override: schedules.Override | None,
    write: Callable[[schedules.OverrideDraft], Awaitable[schedules.Override]],
) -> Response:
    """Read the form in the schedule's zone and write it; its page again with the errors."""
    found = await schedules.get(conn, schedule_id, now=now)
    form = OverrideForm.from_form(post.form)
    frozen = override if override is not None and override.start <= now < override.end else None

    async def save(typed: overrides.Draft) -> None:
        draft = schedules.OverrideDraft(
            typed.start, typed.end, typed.user_id, typed.replaces_user_id, typed.note
        )
        if frozen is not None:  # exactly as stored, not as the form shows it
            draft = replace(
                draft,
                start=frozen.start,
                user_id=frozen.user_id,
                replaces_user_id=frozen.replaces_user_id,
            )
        await write(draft)

    status = await save_override(form, found.time_zone, save, frozen)
    if status is None:
        return _back(request, schedule_id, "Saved the override.")
    return await _override_page(
        request,
        post.session,
        conn,
        found,
        form,
        override,
        in_force=frozen is not None,
        status_code=status,
    )


@router.post("/schedules/{schedule_id}/overrides")
async def create_override(
    request: Request, schedule_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    async def write(draft: schedules.OverrideDraft) -> schedules.Override:
        return await schedules.create_override(conn, schedule_id, draft, now=now)

    return await _save(request, post, conn, now, schedule_id, None, write)


@router.get("/schedules/{schedule_id}/overrides/{override_id}/edit")
async def edit_override(
    request: Request, schedule_id: UUID, override_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _writer(viewer)
    found = await schedules.get(conn, schedule_id, now=now)
    current = await schedules.get_override(conn, schedule_id, override_id)
    form = OverrideForm.from_override(current, found.time_zone)
    if current.end <= now:
        form.errors["form"] = "this override has ended: it is history and cannot change"
    in_force = current.start <= now < current.end
    return await _override_page(request, viewer, conn, found, form, current, in_force=in_force)


@router.post("/schedules/{schedule_id}/overrides/{override_id}/edit")
async def update_override(
    request: Request,
    schedule_id: UUID,
    override_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    """Save the form; for an override in force only its end and note (the rest is frozen)."""
    current = await schedules.get_override(conn, schedule_id, override_id)

    async def write(draft: schedules.OverrideDraft) -> schedules.Override:
        return await schedules.update_override(conn, schedule_id, override_id, draft, now=now)

    return await _save(request, post, conn, now, schedule_id, current, write)


@router.post("/schedules/{schedule_id}/overrides/{override_id}/delete")
async def delete_override(
    request: Request,
    schedule_id: UUID,
    override_id: UUID,
    post: AdminPosted,
    conn: Conn,
    now: Now,
) -> Response:
    """Remove a future override, or end one in force now (recorded at this instant)."""
    try:
        current = await schedules.get_override(conn, schedule_id, override_id)
        await schedules.delete_override(conn, schedule_id, override_id, now=now)
    except Conflict as exc:
        return await detail_page(
            request, post.session, conn, now, schedule_id, override_error=str(exc), status_code=409
        )
    message = "Ended the override now." if current.start < now else "Removed the override."
    return _back(request, schedule_id, message)
