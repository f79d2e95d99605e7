"""/api/v1/rotations: rotations, their participants, and the grid preview."""

from __future__ import annotations

import dataclasses
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from handoff import oncall
from handoff.api import schemas
from handoff.api.auth import ADMIN, READER
from handoff.api.deps import AppSettings, Conn, Now
from handoff.api.problems import responses
from handoff.api.routes.params import Cursor, Limit
from handoff.api.types import Text, in_zone
from handoff.store import participants, rotations, schedules
from handoff.store.db import snapshot
from handoff.store.errors import Errors, invalid
from handoff.store.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/api/v1/rotations", tags=["rotations"])


async def out(conn: Conn, found: list[rotations.Rotation]) -> list[schemas.Rotation]:
    """The rotations as the API shows them (who is on call now, overrides applied, is the
    store's view: the one projection), each with the schedules it is a layer of (one
    statement for the page)."""
    layered = await schedules.schedule_ids(conn, [r.id for r in found])
    return [
        schemas.Rotation(**dataclasses.asdict(r), schedule_ids=layered.get(r.id, [])) for r in found
    ]


@router.post("", status_code=201, dependencies=ADMIN, responses=responses(401, 403, 409, 413, 422))
async def create_rotation(
    body: schemas.RotationIn, conn: Conn, settings: AppSettings
) -> schemas.Rotation:
    """Create a rotation; with participants, the first is on call at once."""
    config = rotations.Config(
        name=body.name,
        description=body.description,
        type=body.type,
        shift_length=body.shift_length,
        start=body.start,
        time_zone=body.time_zone,
        active_hours=body.active_hours,
        turns=body.turns,
    )
    created = await rotations.create(
        conn, config, body.participants, limit=settings.max_participants
    )
    return (await out(conn, [created]))[0]


@router.get("", dependencies=READER, responses=responses(401, 422))
async def list_rotations(
    conn: Conn,
    now: Now,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    q: Annotated[
        Text | None, Query(max_length=rotations.MAX_NAME, description="Part of the name.")
    ] = None,
) -> schemas.RotationPage:
    """Rotations by name, optionally those whose name contains `q`, a page at a time."""
    async with snapshot(conn):
        found = await rotations.list_rotations(conn, now=now, limit=limit, cursor=cursor, q=q)
        items = await out(conn, found.items)
    return schemas.RotationPage(items=items, next_cursor=found.next_cursor)


@router.post("/preview", dependencies=READER, responses=responses(401, 413, 422))
async def preview(body: schemas.PreviewIn, now: Now) -> schemas.Preview:
    """The next turn passes of a rotation and its on-call intervals until the last, saving
    nothing (the form's live preview)."""
    errors = Errors()
    grid = errors.take(
        lambda: rotations.check_grid(body.type, body.shift_length, body.start, body.time_zone)
    )
    windows = errors.take(lambda: rotations.check_hours(body.active_hours, body.turns))
    errors.raise_any()
    assert grid is not None
    config = oncall.Config(
        grid.type, grid.shift_length, grid.start, grid.time_zone, windows, body.turns
    )
    try:
        handoffs, intervals = oncall.preview(
            config, body.from_ or now, body.count, first_shift=True
        )
    except ValueError as exc:
        raise invalid("from", str(exc)) from None
    return schemas.Preview(
        handoffs=handoffs,
        intervals=[schemas.Interval(start=s, end=e, index=i) for s, e, i in intervals],
    )


@router.get("/{rotation_id}", dependencies=READER, responses=responses(401, 404, 422))
async def get_rotation(rotation_id: UUID, conn: Conn, now: Now) -> schemas.Rotation:
    """One rotation, with who is on call and the next handoff (one snapshot)."""
    async with snapshot(conn):
        return (await out(conn, [await rotations.get(conn, rotation_id, now=now)]))[0]


@router.patch(
    "/{rotation_id}",
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def update_rotation(
    rotation_id: UUID, body: schemas.RotationPatch, conn: Conn, now: Now, settings: AppSettings
) -> schemas.Rotation:
    """Change a rotation. A grid change restarts the current shift now (same person on call);
    a new participant list keeps the person on call if still listed; `active_index` hands the
    rest of the current shift to that participant. A `start` without an offset is a wall time
    in the new `time_zone`, or the rotation's."""
    start = body.start
    if start is not None:
        zone = body.time_zone or (await rotations.get(conn, rotation_id, now=now)).time_zone
        try:
            start = in_zone(start, zone)
        except ValueError as exc:
            raise invalid("start", str(exc)) from None
    patch = rotations.Patch(
        name=body.name,
        description=body.description,
        type=body.type,
        shift_length=body.shift_length,
        start=start,
        time_zone=body.time_zone,
        participants=body.participants,
        active_index=body.active_index,
        active_hours=body.active_hours
        if "active_hours" in body.model_fields_set
        else rotations.UNCHANGED,
        turns=body.turns,
    )
    updated = await rotations.update(conn, rotation_id, patch, limit=settings.max_participants)
    return (await out(conn, [updated]))[0]


@router.delete(
    "/{rotation_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def delete_rotation(rotation_id: UUID, conn: Conn) -> None:
    """Delete a rotation and its history."""
    await rotations.delete(conn, rotation_id)


@router.post(
    "/{rotation_id}/participants",
    status_code=201,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 413, 422),
)
async def add_participant(
    rotation_id: UUID,
    body: schemas.ParticipantIn,
    conn: Conn,
    settings: AppSettings,
) -> schemas.Participant:
    """Append a participant; the first one goes on call at once."""
    added = await participants.add(conn, rotation_id, body.user_id, limit=settings.max_participants)
    return schemas.Participant(id=added.id, position=added.position, user_id=added.user_id)


@router.delete(
    "/{rotation_id}/participants/{participant_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses=responses(401, 403, 404, 422),
)
async def remove_participant(rotation_id: UUID, participant_id: UUID, conn: Conn) -> None:
    """Remove a participant; if on call, the next one takes the rest of the shift."""
    await participants.remove(conn, rotation_id, participant_id)
