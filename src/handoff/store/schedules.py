"""Schedules (schedules.md): rows, the reads that feed the pure core, and the one write path.

Every write locks the schedule's row, brings its history up to the request's instant
(`_catch_up`: the rows `handoff.schedules.changes` finds since it was last recorded), applies
the edit, records what the edit changed at that instant (`layers_changed`, `started`, or an
override coming into force or ending: never backdated), and saves when the schedule next
needs recording. The history's unique (schedule, instant) makes a repeat harmless.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row

from handoff import oncall
from handoff import schedules as core
from handoff.grid import load_zone
from handoff.store import db, inputs, notify, overrides, text, times
from handoff.store.errors import Conflict, Errors, NotFound, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("schedules")
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_COVERAGE = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class LayerRow:
    id: UUID
    position: int
    rotation_id: UUID


@dataclass(frozen=True, slots=True)
class Schedule:
    id: UUID
    name: str
    description: str
    time_zone: str
    combine: str
    layers: list[LayerRow]
    on_call_user_ids: list[UUID]
    next_change_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Draft:
    """Every field of a new or edited schedule; `layers` are rotation ids, top first."""

    name: str
    time_zone: str
    combine: str
    layers: list[UUID]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Override:
    id: UUID
    schedule_id: UUID
    start: datetime
    end: datetime
    user_id: UUID | None
    replaces_user_id: UUID | None
    note: str
    created_at: datetime
    updated_at: datetime

    def core(self) -> core.ScheduleOverride:
        return core.ScheduleOverride(
            self.id, self.start, self.end, self.user_id, self.replaces_user_id
        )


# A schedule override's fields and their rules are a rotation override's (schedules.md).
OverrideDraft = overrides.Draft


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    at: datetime
    processed_at: datetime
    cause: str
    from_user_ids: list[UUID]
    to_user_ids: list[UUID]
    rotation_id: UUID | None
    override_id: UUID | None


@dataclass(frozen=True, slots=True)
class _Read:
    """A schedule's row and the core's inputs, read in one snapshot."""

    row: dict[str, Any]
    inputs: core.ScheduleInputs


# --- reads -------------------------------------------------------------------------------------


async def _read(
    conn: AsyncConnection[Any], ids: Sequence[UUID], since: datetime
) -> dict[UUID, _Read]:
    """Schedules and their inputs: two statements whatever their number (their rows with
    layers and overrides, then every layer rotation's projection inputs)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["schedules_by_id"], {"ids": list(ids), "since": since})
        rows = await cur.fetchall()
    for row in rows:
        row["layers"] = [LayerRow(UUID(i), p, UUID(r)) for i, p, r in _json(row["layers"])]
    rotation_ids = sorted({layer.rotation_id for row in rows for layer in row["layers"]})
    readings = {r.rotation_id: r.inputs for r in await inputs.read(conn, rotation_ids)}
    known = await _known(conn, readings, since)
    found: dict[UUID, _Read] = {}
    for row in rows:
        layers = [
            core.Layer(
                layer.rotation_id,
                readings[layer.rotation_id],
                tuple(known.get(layer.rotation_id, ())),
            )
            for layer in row["layers"]
            if layer.rotation_id in readings
        ]
        overrides = [
            core.ScheduleOverride(
                UUID(i),
                _time(start),
                _time(end),
                None if u is None else UUID(u),
                None if r is None else UUID(r),
            )
            for i, start, end, u, r in _json(row["overrides"])
        ]
        found[row["id"]] = _Read(
            row, core.ScheduleInputs(row["combine"], tuple(layers), tuple(overrides))
        )
    return found


async def _known(
    conn: AsyncConnection[Any], readings: dict[UUID, oncall.Inputs], since: datetime
) -> dict[UUID, list[tuple[datetime, UUID | None]]]:
    """The history of the layers whose state begins after `since` (their own jobs ran since
    the schedule was last recorded): what the projection cannot say (core.Layer.known)."""
    behind = [
        rotation_id
        for rotation_id, given in readings.items()
        if given.state is not None and given.state.shift_start > since
    ]
    found: dict[UUID, list[tuple[datetime, UUID | None]]] = {}
    if not behind:
        return found
    async with conn.cursor() as cur:
        await cur.execute(Q["layer_history"], {"ids": behind, "since": since})
        for rotation_id, at, user_id, _ in await cur.fetchall():
            found.setdefault(rotation_id, []).append((at, user_id))
    return found


@dataclass(frozen=True, slots=True)
class Reading:
    """A schedule's name, zone and the core's inputs (for the report and the gap gauge)."""

    id: UUID
    name: str
    time_zone: str
    inputs: core.ScheduleInputs


async def readings(
    conn: AsyncConnection[Any], ids: Sequence[UUID], since: datetime
) -> list[Reading]:
    """The given schedules' inputs read as of `since` (the layers' history from it on), by id."""
    found = await _read(conn, ids, since)
    return [
        Reading(i, r.row["name"], r.row["time_zone"], r.inputs) for i, r in sorted(found.items())
    ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _time(value: str) -> datetime:
    return times.check("time", datetime.fromisoformat(value))


def _view(read: _Read, now: datetime) -> Schedule:
    row = read.row
    return Schedule(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        time_zone=row["time_zone"],
        combine=row["combine"],
        layers=row["layers"],
        on_call_user_ids=list(core.on_call_at(read.inputs, now)),
        next_change_at=_next_change(read.inputs, now),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _next_change(inputs: core.ScheduleInputs, now: datetime) -> datetime | None:
    """The next instant the final result changes, within a year (None: none by then)."""
    found = core.changes(inputs, now, now + MAX_COVERAGE)
    return found[0].at if found else None


async def _one(conn: AsyncConnection[Any], schedule_id: UUID, now: datetime) -> _Read:
    found = await _read(conn, [schedule_id], now)
    if schedule_id not in found:
        raise NotFound("schedule", schedule_id)
    return found[schedule_id]


async def get(conn: AsyncConnection[Any], schedule_id: UUID, *, now: datetime) -> Schedule:
    return _view(await _one(conn, schedule_id, now), now)


async def find(conn: AsyncConnection[Any], name_or_id: str, *, now: datetime) -> Schedule:
    """A schedule by id or by exact name, ignoring case (how the CLI names schedules)."""
    try:
        return await get(conn, UUID(name_or_id), now=now)
    except ValueError:
        pass
    text.check("schedule", name_or_id, max_length=MAX_NAME)
    async with conn.cursor() as cur:
        await cur.execute(Q["schedule_by_name"], {"name": name_or_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFound("schedule", name_or_id)
    return await get(conn, row[0], now=now)


async def list_schedules(
    conn: AsyncConnection[Any],
    *,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    q: str | None = None,
) -> Page[Schedule]:
    check_limit(limit)
    if q is not None:
        text.check("q", q, max_length=MAX_NAME)
    after = decode(cursor, str) or [None]
    pattern = _pattern(q)
    async with conn.cursor() as cur:
        await cur.execute(
            Q["list_schedules"],
            {"pattern": pattern, "after_name": after[0], "limit": limit + 1},
        )
        ids = [row[0] for row in await cur.fetchall()]
    found = await _read(conn, ids, now)
    views = [_view(found[i], now) for i in ids if i in found]
    return page(views, limit, lambda s: (s.name,))


def _pattern(q: str | None) -> str | None:
    """An ILIKE pattern (ESCAPE '\\') for names that contain `q`; None for no search."""
    return None if not q else "%" + q.replace("\\", "\\\\").replace("%", "\\%") + "%"


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """A schedule as the calendar draws it: its final intervals over the calendar's range."""

    id: UUID
    name: str
    time_zone: str
    shifts: list[core.Shift]


async def calendar(
    conn: AsyncConnection[Any],
    since: datetime,
    until: datetime,
    *,
    limit: int,
    q: str | None = None,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
) -> tuple[list[CalendarRow], int]:
    """The first `limit` schedules by name (those whose name has `q`, those `rotation_id` is a
    layer of, those `user_id` may be on call in: then only the intervals they are on call)
    with their final intervals in [since, until), and how many more matched (not read).
    Three statements whatever their number, in one snapshot as the calendar's rotations."""
    since, until = check_range(since, until)
    args = {"pattern": _pattern(q), "rotation_id": rotation_id, "user_id": user_id}
    async with db.snapshot(conn):
        async with conn.cursor() as cur:
            await cur.execute(Q["calendar_schedules"], args | {"limit": limit})
            rows = await cur.fetchall()
        found = await _read(conn, [row[0] for row in rows], since)
    drawn = []
    for schedule_id, _ in rows:
        read = found[schedule_id]
        shifts = core.shifts(read.inputs, since, until)
        if user_id is not None:
            shifts = [s for s in shifts if user_id in s.user_ids]
        row = read.row
        drawn.append(CalendarRow(schedule_id, row["name"], row["time_zone"], shifts))
    return drawn, (rows[0][1] - len(rows) if rows else 0)


async def oncall_at(conn: AsyncConnection[Any], schedule_id: UUID, at: datetime) -> list[UUID]:
    read = await _one(conn, schedule_id, at)
    return list(core.on_call_at(read.inputs, at))


def check_range(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    errors = Errors()
    start = errors.take(lambda: times.check("since", since))
    end = errors.take(lambda: times.check("until", until))
    if start is not None and end is not None:
        if end <= start:
            errors.add("until", "must be after since")
        elif end - start > MAX_COVERAGE:
            errors.add("until", "must be at most 366 days after since")
    errors.raise_any()
    assert start is not None and end is not None
    return start, end


async def shifts(
    conn: AsyncConnection[Any], schedule_id: UUID, since: datetime, until: datetime
) -> list[core.Shift]:
    since, until = check_range(since, until)
    read = await _one(conn, schedule_id, since)
    return core.shifts(read.inputs, since, until)


async def pieces(
    conn: AsyncConnection[Any], schedule_id: UUID, since: datetime, until: datetime
) -> tuple[Schedule, list[core.Piece]]:
    """The schedule now and its timeline with each layer's person (the web page's lanes)."""
    since, until = check_range(since, until)
    read = await _one(conn, schedule_id, since)
    return _view(read, since), core.pieces(read.inputs, since, until)


async def coverage(
    conn: AsyncConnection[Any], schedule_id: UUID, since: datetime, until: datetime
) -> core.Coverage:
    since, until = check_range(since, until)
    read = await _one(conn, schedule_id, since)
    return core.coverage(read.inputs, since, until, read.row["time_zone"])


async def history(
    conn: AsyncConnection[Any], schedule_id: UUID, *, limit: int, cursor: str | None = None
) -> Page[HistoryRow]:
    check_limit(limit)
    before = decode(cursor, int) or [None]
    async with conn.cursor(row_factory=class_row(HistoryRow)) as cur:
        await cur.execute(
            Q["history"], {"id": schedule_id, "before_id": before[0], "limit": limit + 1}
        )
        rows = await cur.fetchall()
    if not rows:
        await _exists(conn, schedule_id)
    return page(rows, limit, lambda h: (h.id,))


async def _exists(conn: AsyncConnection[Any], schedule_id: UUID) -> None:
    async with conn.cursor() as cur:
        await cur.execute(Q["schedule_exists"], {"id": schedule_id})
        if await cur.fetchone() is None:
            raise NotFound("schedule", schedule_id)


# --- the write path ----------------------------------------------------------------------------


Edit = Callable[[core.ScheduleInputs], Awaitable[tuple[core.ChangeCause, UUID | None] | None]]


async def write(conn: AsyncConnection[Any], schedule_id: UUID, now: datetime, edit: Edit) -> None:
    """Lock, catch up to `now`, run `edit` (which says the cause to record for what it
    changed, or None), record that change at `now`, save the next run. 404 if missing."""
    async with conn.transaction():
        async with conn.cursor() as cur:
            await cur.execute(Q["lock_schedule"], {"id": schedule_id})
            locked = await cur.fetchone()
        if locked is None:
            raise NotFound("schedule", schedule_id)
        caught_up_at = locked[1]
        if caught_up_at is not None:
            now = max(now, caught_up_at)  # a run that came first recorded up to there
        before = await _one(conn, schedule_id, caught_up_at or now)
        await _catch_up(conn, schedule_id, before, caught_up_at, now)
        outcome = await edit(before.inputs)
        after = before.inputs  # an edit that records nothing keeps what was read
        if outcome is not None:
            after = (await _one(conn, schedule_id, now)).inputs
            cause, override_id = outcome
            was = () if cause == "started" else core.on_call_at(before.inputs, now)
            row = core.edited(was, after, now, cause, override_id)
            if row is not None:
                await _record(conn, schedule_id, [row], now)
        await _save(conn, [(schedule_id, after, now)])


async def record(conn: AsyncConnection[Any], schedule_ids: Sequence[UUID]) -> None:
    """The engine's run of a job's schedules: record every final change of each up to the
    engine's clock, once (under the schedules' locks; the history's unique instant guards the
    rest), and each one's next run. Schedules deleted meanwhile are nothing to do.

    All of them are one transaction whose reads are one statement each (locks and clock,
    schedules, layer inputs, layer history) whatever the number of schedules and layers: a
    storm's schedules come due together, and a run per schedule cost ten round trips. If that
    fails, each schedule is run alone, so that one whose layers cannot be walked fails alone;
    the first failure is raised after the others ran (the job is retried: a repeat records
    nothing twice).
    """
    try:
        await _record_together(conn, schedule_ids)
    except Exception:
        if len(schedule_ids) <= 1:
            raise
    else:
        return
    failed: Exception | None = None
    for schedule_id in schedule_ids:
        try:
            await _record_together(conn, [schedule_id])
        except Exception as exc:
            failed = failed or exc
    if failed is not None:
        raise failed


async def _record_together(conn: AsyncConnection[Any], schedule_ids: Sequence[UUID]) -> None:
    async with conn.transaction():
        async with conn.cursor() as cur:
            await cur.execute(Q["lock_schedules"], {"ids": sorted(set(schedule_ids))})
            locked: list[tuple[UUID, datetime | None, datetime]] = await cur.fetchall()
        # A run that came first recorded up to its caught_up_at; schedules are read from the
        # instant their history is recorded to, so those recorded to one instant share reads.
        since: dict[datetime, list[tuple[UUID, datetime | None, datetime]]] = {}
        for schedule_id, caught_up_at, clock in locked:
            now = clock if caught_up_at is None else max(clock, caught_up_at)
            since.setdefault(caught_up_at or now, []).append((schedule_id, caught_up_at, now))
        saves: list[tuple[UUID, core.ScheduleInputs, datetime]] = []
        for origin, group in since.items():
            found = await _read(conn, [schedule_id for schedule_id, _, _ in group], origin)
            for schedule_id, caught_up_at, now in group:
                read = found[schedule_id]
                await _catch_up(conn, schedule_id, read, caught_up_at, now)
                saves.append((schedule_id, read.inputs, now))
        await _save(conn, saves)


async def record_due(conn: AsyncConnection[Any], *, limit: int = 1000) -> int:
    """Record every schedule whose run time has come (the batch engine's cycle); the count."""
    async with conn.cursor() as cur:
        await cur.execute(Q["due_schedules"], {"limit": limit})
        ids = [row[0] for row in await cur.fetchall()]
    if ids:
        await record(conn, ids)
    return len(ids)


async def _catch_up(
    conn: AsyncConnection[Any],
    schedule_id: UUID,
    read: _Read,
    caught_up_at: datetime | None,
    now: datetime,
) -> None:
    """Record every final change since the history was last brought up to date (`read` is
    the schedule read from then)."""
    if caught_up_at is not None and caught_up_at < now:
        await _record(conn, schedule_id, core.changes(read.inputs, caught_up_at, now), now)


async def _record(
    conn: AsyncConnection[Any], schedule_id: UUID, rows: Sequence[core.Change], now: datetime
) -> None:
    """History rows, and their message to subscribed channels in the same transaction: one
    per change, or after a catch-up one about who is on call now, with `missed` (notify.md)."""
    if not rows:
        return
    args = [_change_args(schedule_id, c, now) for c in rows]
    async with conn.cursor() as cur:
        await cur.executemany(Q["record_change"], args)
    summary = args[-1] | {"from_user_ids": args[0]["from_user_ids"], "missed": 0}
    if len(rows) > 1:
        summary["missed"] = len(rows)
    await conn.execute(Q["publish_change"], summary)


def _change_args(schedule_id: UUID, c: core.Change, now: datetime) -> dict[str, Any]:
    return {
        "schedule_id": schedule_id,
        "at": c.at,
        "processed_at": now,
        "cause": c.cause,
        "from_user_ids": list(c.from_user_ids),
        "to_user_ids": list(c.to_user_ids),
        "rotation_id": c.rotation_id,
        "override_id": c.override_id,
    }


@dataclass(frozen=True, slots=True)
class Subscription:
    id: UUID
    schedule_id: UUID
    channel_id: UUID
    created_at: datetime


async def subscribe(
    conn: AsyncConnection[Any], schedule_id: UUID, channel_id: UUID
) -> Subscription:
    """Tell a channel about every final change of the schedule."""
    return await notify.link(
        conn,
        Q["insert_subscription"],
        Subscription,
        "schedule",
        schedule_id,
        channel_id,
        taken="the schedule is subscribed to that channel already",
    )


async def list_subscriptions(conn: AsyncConnection[Any], schedule_id: UUID) -> list[Subscription]:
    await _exists(conn, schedule_id)
    async with conn.cursor(row_factory=class_row(Subscription)) as cur:
        await cur.execute(Q["list_subscriptions"], {"schedule_id": schedule_id})
        return await cur.fetchall()


async def unsubscribe(conn: AsyncConnection[Any], schedule_id: UUID, subscription_id: UUID) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(
            Q["delete_subscription"], {"id": subscription_id, "schedule_id": schedule_id}
        )
        if await cur.fetchone() is None:
            raise NotFound("subscription", subscription_id)


async def _save(
    conn: AsyncConnection[Any], saves: Sequence[tuple[UUID, core.ScheduleInputs, datetime]]
) -> None:
    """Each schedule's history recorded up to its `now`, and its next run, in one statement."""
    if not saves:
        return
    await conn.execute(
        Q["save_states"],
        {
            "ids": [schedule_id for schedule_id, _, _ in saves],
            "caught_up_at": [now for _, _, now in saves],
            "next_run_at": [core.next_wake(inputs_, now) for _, inputs_, now in saves],
        },
    )


async def _check(conn: AsyncConnection[Any], draft: Draft, *, layers: bool = True) -> Draft:
    """The draft checked, reporting every field at fault; its layers only if `layers` (an
    edit that leaves them keeps them as they are, even none: the last one's rotation deleted)."""
    errors = Errors()
    name = errors.take(
        lambda: text.check("name", draft.name, min_length=1, max_length=MAX_NAME, strip=True)
    )
    description = errors.take(
        lambda: text.check(
            "description", draft.description, max_length=MAX_DESCRIPTION, multiline=True
        )
    )
    try:
        load_zone(draft.time_zone)
    except ValueError as exc:
        errors.add("time_zone", str(exc))
    if draft.combine not in core.COMBINES:
        errors.add("combine", f"must be one of {', '.join(core.COMBINES)}")
    if layers:
        await _check_layers(conn, draft.layers, errors)
    errors.raise_any()
    assert name is not None and description is not None
    return replace(draft, name=name, description=description)


async def _check_layers(conn: AsyncConnection[Any], layers: list[UUID], errors: Errors) -> None:
    if not 1 <= len(layers) <= core.MAX_LAYERS:
        errors.add("layers", f"must list 1 to {core.MAX_LAYERS} rotations")
    elif len(set(layers)) != len(layers):
        errors.add("layers", "must not list a rotation twice")
    else:
        async with conn.cursor() as cur:
            await cur.execute(Q["existing_rotations"], {"ids": layers})
            known = {row[0] for row in await cur.fetchall()}
        missing = [str(r) for r in layers if r not in known]
        if missing:
            errors.add("layers", f"no rotation {', '.join(missing)}")


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a schedule named {name!r} already exists")


def _fields(draft: Draft) -> dict[str, object]:
    return {
        "name": draft.name,
        "description": draft.description,
        "time_zone": draft.time_zone,
        "combine": draft.combine,
    }


async def create(conn: AsyncConnection[Any], draft: Draft, *, now: datetime) -> Schedule:
    """Create a schedule; its first result, if anyone is on call, is recorded `started`."""
    checked = await _check(conn, draft)
    async with conn.transaction():
        try:
            async with conn.cursor() as cur:
                await cur.execute(Q["insert_schedule"], _fields(checked) | {"now": now})
                row = await cur.fetchone()
        except psycopg.errors.UniqueViolation:
            raise _name_taken(checked.name) from None
        assert row is not None
        schedule_id: UUID = row[0]
        await conn.execute(Q["insert_layers"], {"id": schedule_id, "rotation_ids": checked.layers})

        async def started(_: core.ScheduleInputs) -> tuple[core.ChangeCause, None]:
            return "started", None

        await write(conn, schedule_id, now, started)
    return await get(conn, schedule_id, now=now)


async def update(
    conn: AsyncConnection[Any],
    schedule_id: UUID,
    *,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    time_zone: str | None = None,
    combine: str | None = None,
    layers: list[UUID] | None = None,
) -> Schedule:
    """A PATCH: fields not given stay; new `layers` or `combine` that change who is on call
    now are recorded `layers_changed` at the request."""
    current = await get(conn, schedule_id, now=now)
    draft = await _check(
        conn,
        Draft(
            name=current.name if name is None else name,
            time_zone=current.time_zone if time_zone is None else time_zone,
            combine=current.combine if combine is None else combine,
            layers=[layer.rotation_id for layer in current.layers] if layers is None else layers,
            description=current.description if description is None else description,
        ),
        layers=layers is not None,
    )

    async def edit(_: core.ScheduleInputs) -> tuple[core.ChangeCause, None]:
        try:
            async with conn.transaction():
                await conn.execute(
                    Q["update_schedule"], _fields(draft) | {"id": schedule_id, "now": now}
                )
        except psycopg.errors.UniqueViolation:
            raise _name_taken(draft.name) from None
        if layers is not None:
            await conn.execute(Q["delete_layers"], {"id": schedule_id})
            await conn.execute(
                Q["insert_layers"], {"id": schedule_id, "rotation_ids": draft.layers}
            )
        return "layers_changed", None

    await write(conn, schedule_id, now, edit)
    return await get(conn, schedule_id, now=now)


async def delete(conn: AsyncConnection[Any], schedule_id: UUID) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(Q["delete_schedule"], {"id": schedule_id})
        if await cur.fetchone() is None:
            raise NotFound("schedule", schedule_id)


async def rotation_deleting(conn: AsyncConnection[Any], rotation_id: UUID, now: datetime) -> None:
    """Before a rotation is deleted, in its transaction: each schedule it is a layer of loses
    the layer (schedules.md), recorded `layers_changed` if that changes who is on call."""
    async with conn.cursor() as cur:
        await cur.execute(Q["schedules_of_rotation"], {"rotation_id": rotation_id})
        ids = [row[0] for row in await cur.fetchall()]
    for schedule_id in ids:
        await write(conn, schedule_id, now, _remover(conn, schedule_id, rotation_id))


def _remover(conn: AsyncConnection[Any], schedule_id: UUID, rotation_id: UUID) -> Edit:
    async def edit(_: core.ScheduleInputs) -> tuple[core.ChangeCause, None]:
        await conn.execute(Q["remove_layer"], {"id": schedule_id, "rotation_id": rotation_id})
        return "layers_changed", None

    return edit


async def schedule_ids(
    conn: AsyncConnection[Any], rotation_ids: Sequence[UUID]
) -> dict[UUID, list[UUID]]:
    """The schedules each rotation is a layer of (the rotation object's `schedule_ids`), one
    statement for a page of rotations; a rotation in no schedule is absent."""
    async with conn.cursor() as cur:
        await cur.execute(Q["schedules_of_rotations"], {"ids": list(rotation_ids)})
        return {row[0]: list(row[1]) for row in await cur.fetchall()}


# --- schedule overrides ------------------------------------------------------------------------


def _edge(
    before: Override | None, after: Override | None, now: datetime
) -> tuple[core.ChangeCause, UUID] | None:
    """What a write of an override records at `now`: started if it comes into force, ended
    if it stops being in force (the final result decides whether a row is written)."""
    was = before is not None and before.start <= now < before.end
    is_ = after is not None and after.start <= now < after.end
    if is_ and after is not None and (not was or before != after):
        return "override_started", after.id
    if was and not is_ and before is not None:
        return "override_ended", before.id
    return None


async def create_override(
    conn: AsyncConnection[Any], schedule_id: UUID, draft: OverrideDraft, *, now: datetime
) -> Override:
    made: list[Override] = []

    async def edit(_: core.ScheduleInputs) -> tuple[core.ChangeCause, UUID] | None:
        checked = (await overrides.check(conn, draft, now))[0]
        await overrides.check_overlap(
            conn, Q["overlapping"], "schedule", schedule_id, checked, None
        )
        async with conn.cursor(row_factory=class_row(Override)) as cur:
            await cur.execute(
                Q["insert_override"],
                overrides.args(checked) | {"schedule_id": schedule_id, "now": now},
            )
            found = await cur.fetchone()
        assert found is not None
        made.append(found)
        return _edge(None, found, now)

    await write(conn, schedule_id, now, edit)
    return made[0]


async def get_override(
    conn: AsyncConnection[Any], schedule_id: UUID, override_id: UUID
) -> Override:
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(Q["get_override"], {"id": override_id, "schedule_id": schedule_id})
        found = await cur.fetchone()
    if found is None:
        await _exists(conn, schedule_id)
        raise NotFound("override", override_id)
    return found


async def list_overrides(
    conn: AsyncConnection[Any],
    schedule_id: UUID,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
) -> list[Override]:
    """Overrides overlapping [since, until); without since, those that have not ended."""
    check_limit(limit)
    await _exists(conn, schedule_id)
    async with conn.cursor(row_factory=class_row(Override)) as cur:
        await cur.execute(
            Q["list_overrides"],
            {"schedule_id": schedule_id, "since": since or now, "until": until, "limit": limit},
        )
        return await cur.fetchall()


async def update_override(
    conn: AsyncConnection[Any],
    schedule_id: UUID,
    override_id: UUID,
    draft: OverrideDraft,
    *,
    now: datetime,
) -> Override:
    """A future override can change anything; one in force only its end (not to the past)
    and note; an ended one nothing (409), as rotation overrides (oncall.md)."""
    done: list[Override] = []

    async def edit(_: core.ScheduleInputs) -> tuple[core.ChangeCause, UUID] | None:
        current = await get_override(conn, schedule_id, override_id)
        if current.end <= now:
            raise Conflict("an ended override cannot change: it is history")
        # An override made from the past starts at the instant of the request, seconds and
        # all: its exact start is as good as its minute (as for rotation overrides).
        if current.start <= now and (
            current.start not in (draft.start, overrides.minute(draft.start))
            or (draft.user_id, draft.replaces_user_id)
            != (current.user_id, current.replaces_user_id)
        ):
            raise invalid("start", "an override in force can change only its end and note")
        checked = (await overrides.check(conn, draft, now))[0]
        if current.start <= now:
            checked = replace(checked, start=current.start)
        await overrides.check_overlap(
            conn, Q["overlapping"], "schedule", schedule_id, checked, override_id
        )
        async with conn.cursor(row_factory=class_row(Override)) as cur:
            await cur.execute(
                Q["update_override"], overrides.args(checked) | {"id": override_id, "now": now}
            )
            found = await cur.fetchone()
        assert found is not None
        done.append(found)
        return _edge(current, found, now)

    await write(conn, schedule_id, now, edit)
    return done[0]


async def delete_override(
    conn: AsyncConnection[Any], schedule_id: UUID, override_id: UUID, *, now: datetime
) -> None:
    """A future override is removed; one in force ends now; an ended one is history (409)."""

    async def edit(_: core.ScheduleInputs) -> tuple[core.ChangeCause, UUID] | None:
        current = await get_override(conn, schedule_id, override_id)
        if current.end <= now:
            raise Conflict("an ended override cannot be deleted: it is history")
        if current.start >= now:
            # Not started, or started at this very instant (ending it now leaves nothing).
            await conn.execute(Q["delete_override"], {"id": override_id})
            return None if current.start > now else _edge(current, None, now)
        ended = replace(current, end=now)
        await conn.execute(
            Q["update_override"],
            overrides.args(
                OverrideDraft(
                    current.start, now, current.user_id, current.replaces_user_id, current.note
                )
            )
            | {"id": override_id, "now": now},
        )
        return _edge(current, ended, now)

    await write(conn, schedule_id, now, edit)
