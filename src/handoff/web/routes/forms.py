"""Create, edit and delete a rotation, and the form's live preview of the next handoffs.

The preview runs the same code as `POST /api/v1/rotations/preview` (`rotations.check_grid`,
then the grid's `next_handoffs`), so what the form shows is what the API and the engine will
do. Field errors travel back with the preview as out-of-band swaps into each field's message.
On the create form the preview also names who is on call now and who takes over at each
handoff, and the participant list's buttons re-render the form (only the list and the preview
are swapped in with htmx) until "Create rotation" saves it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_OID, UUID, uuid5

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from psycopg import AsyncConnection

from handoff import hours, oncall, rotation
from handoff.grid import GRID_TYPES, MAX_SHIFT_LENGTH, MIN_SHIFT_LENGTH, zone_names
from handoff.http.deps import AppSettings, Conn, Now
from handoff.store import rotations, users
from handoff.store.errors import Conflict, Invalid
from handoff.web import colours, timeline, views, words
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.rotation_form import CREATE_FIELDS, FIELDS, PRESETS, RotationForm
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Posted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ZONES = sorted(zone_names())  # the names the grid accepts, no more


def _require_writer(viewer: Session) -> None:
    if not viewer.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")


@dataclass(frozen=True, slots=True)
class Preview:
    """What the form's live preview shows: turn passes, on-call intervals, the rule in words."""

    handoffs: list[datetime] = field(default_factory=list)
    intervals: list[tuple[datetime, datetime, int]] = field(default_factory=list)
    phrase: str | None = None

    def context(self, now: datetime, labels: Sequence[tuple[str, int]] = ()) -> dict[str, Any]:
        return {
            "handoffs": self.handoffs,
            "phrase": self.phrase,
            "strip": timeline.preview(self.intervals, now, labels),
        }


def _preview(form: RotationForm, now: datetime, first_shift: bool) -> Preview:
    """The next turn passes of the rotation the form describes, from now (the projection's,
    active hours and turns included), and how it hands off in words. `first_shift`: the
    create form's new rotation (its first participant owns the first whole shift); an edit
    restarts the shift now (engine.md). Its on-call intervals draw the preview's bar, with
    the time outside the active hours as gaps (hours.md)."""
    grid = form.grid()
    chosen = form.active_hours()
    if grid is None or "active_custom" in form.errors:
        return Preview()
    try:
        windows = hours.parse_windows(chosen)
    except hours.HoursError as exc:
        form.errors["active_custom"] = str(exc)
        return Preview()
    turns = form.turns if form.turns in hours.TURNS else "active"
    config = oncall.Config(grid.type, grid.shift_length, grid.start, grid.time_zone, windows, turns)
    try:
        handoffs, intervals = oncall.preview(config, now, views.PREVIEW_COUNT, first_shift)
    except ValueError as exc:
        form.errors["start"] = str(exc)
        return Preview()
    phrase = words.describe(grid.type, grid.shift_length, grid.start, form.time_zone)
    if windows is not None:
        phrase += f"; on call {hours.describe(windows, form.time_zone)}"
    return Preview(handoffs, intervals, phrase)


def _label(person: users.User, names: Counter[str]) -> str:
    """The name, with the email when someone else has the same name."""
    shared = names[person.name] > 1
    return f"{person.name} ({person.email})" if shared and person.email else person.name


def _people_context(
    form: RotationForm,
    people: Sequence[users.User],
    now: datetime,
    handoffs: list[datetime],
    limit: int,
) -> dict[str, Any]:
    """The pickers, and who is on call now and from each handoff (for the create form), by the
    engine's own rules: the first participant starts now, each handoff moves one position on;
    `labels` name each position's person and colour for the preview's bar."""
    by_id = {u.id: u for u in people}
    chosen = form.chosen(set(by_id), limit) or []
    counted = Counter(u.name for u in people)
    members = [rotation.Participant(uuid5(NAMESPACE_OID, str(i)), u) for i, u in enumerate(chosen)]
    # Each turn pass moves one position on (engine.md), whatever the hours.
    takes_over = [
        (at, _label(by_id[members[(k + 1) % len(members)].user_id], counted))
        for k, at in enumerate(handoffs if members else [])
    ]
    return {
        "people": people,
        "on_call_now": _label(by_id[chosen[0]], counted) if chosen else None,
        "takes_over": takes_over,
        "labels": [(_label(by_id[m.user_id], counted), colours.of(m.user_id)) for m in members],
    }


def _create_preview(
    form: RotationForm, people: Sequence[users.User], now: datetime, limit: int
) -> dict[str, Any]:
    shown = _preview(form, now, first_shift=True)
    context = _people_context(form, people, now, shown.handoffs, limit)
    return {**shown.context(now, context.pop("labels")), "fields": CREATE_FIELDS, **context}


def _edit_page(
    request: Request,
    viewer: Session,
    form: RotationForm,
    now: datetime,
    rotation: rotations.Rotation,
    status_code: int = 200,
) -> Response:
    shown = _preview(form, now, first_shift=False)
    return page(
        request,
        "rotation_form.html",
        status_code,
        session=viewer,
        form=form,
        rotation=rotation,
        zones=ZONES,
        types=GRID_TYPES,
        presets=PRESETS,
        min_length=MIN_SHIFT_LENGTH,
        max_length=MAX_SHIFT_LENGTH,
        fields=FIELDS,
        **shown.context(now),
    )


def _create_page(
    request: Request,
    viewer: Session,
    form: RotationForm,
    choices: views.PersonChoices,
    now: datetime,
    limit: int,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "rotation_form.html",
        status_code,
        session=viewer,
        form=form,
        rotation=None,
        zones=ZONES,
        types=GRID_TYPES,
        presets=PRESETS,
        min_length=MIN_SHIFT_LENGTH,
        max_length=MAX_SHIFT_LENGTH,
        choices=choices,
        **_create_preview(form, choices.people, now, limit),
    )


@router.get("/rotations/new")
async def new_rotation(
    request: Request, viewer: Viewer, conn: Conn, now: Now, settings: AppSettings
) -> Response:
    _require_writer(viewer)
    form = RotationForm(start=now.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M"))
    choices = await views.person_choices(conn, views.who(request), form.participants)
    return _create_page(request, viewer, form, choices, now, settings.max_participants)


@router.post("/rotations/new")
async def create_rotation(
    request: Request, post: AdminPosted, conn: Conn, now: Now, settings: AppSettings
) -> Response:
    """Create, or (a participant list button was pressed) show the form with the list changed."""
    form = RotationForm.from_form(post.form)
    who = post.form.get("who")
    choices = await views.person_choices(
        conn, who if isinstance(who, str) else "", form.participants
    )
    limit = settings.max_participants
    action = post.form.get("action")
    if isinstance(action, str) and action:
        form.change_list(action, limit)
        return _create_page(request, post.session, form, choices, now, limit)
    saved = await _create(request, conn, form, choices.people, limit)
    if saved is not None:
        return saved
    return _create_page(request, post.session, form, choices, now, limit, 422)


async def _create(
    request: Request,
    conn: AsyncConnection[Any],
    form: RotationForm,
    people: Sequence[users.User],
    limit: int,
) -> Response | None:
    """The redirect to the new rotation, or None with the form's errors filled in."""
    config = form.config()
    chosen = form.chosen({u.id for u in people}, limit)
    if config is None or chosen is None:
        return None
    try:
        created = await rotations.create(conn, config, chosen, limit=limit)
    except Invalid as exc:
        form.add_errors(exc)
    except Conflict as exc:
        form.errors["name"] = str(exc)
    else:
        response = RedirectResponse(f"/rotations/{created.id}", status_code=303)
        flash(request, response, f"Created {created.name}.")
        return response
    return None


@router.post("/rotations/preview")
async def preview(
    request: Request, post: Posted, conn: Conn, now: Now, settings: AppSettings
) -> Response:
    """The preview fragment, with each field's message swapped in out of band.

    The create form posts `with_participants`: its preview also names who is on call.
    """
    form = RotationForm.from_form(post.form)
    if post.form.get("with_participants"):
        chosen = await views.person_choices(conn, "", form.participants)
        context = _create_preview(form, chosen.people, now, settings.max_participants)
    else:
        context = _preview(form, now, first_shift=False).context(now) | {"fields": FIELDS}
    return page(request, "preview.html", form=form, oob=True, **context)


@router.get("/rotations/{rotation_id}/edit")
async def edit_rotation(
    request: Request, rotation_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    _require_writer(viewer)
    rotation = await rotations.get(conn, rotation_id, now=now)
    return _edit_page(request, viewer, RotationForm.from_rotation(rotation), now, rotation)


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
            active_hours=config.active_hours,
            turns=config.turns,
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
    return _edit_page(request, post.session, form, now, rotation, 422)


@router.post("/rotations/{rotation_id}/delete")
async def delete_rotation(
    request: Request, rotation_id: UUID, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    rotation = await rotations.get(conn, rotation_id, now=now)
    await rotations.delete(conn, rotation_id)
    response = RedirectResponse("/rotations", status_code=303)
    flash(request, response, f"Deleted {rotation.name}.")
    return response
