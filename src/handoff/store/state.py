"""The one write path of a rotation: lock, catch up, apply the rule, save and schedule.

Every writer of who-is-on-call (queue jobs, API, CLI and UI edits, overrides, scheduled
changes, user deletion, the GoAlert import) calls `write()`: it locks the rotation (the
rotation row, then its state row, then its schedule row: the one lock order), reads the
engine's clock (the database's `handoff_now()`), the rotation's overrides and pending
scheduled changes in the same round trip, and catches up (engine.md, "Every writer catches up
first"; oncall.md): every boundary, scheduled change and override edge since the rotation was
last brought up to date is recorded, in time order, by the one pure projection
(`handoff.oncall.catch_up`). Only then is the writer's edit applied to the caught-up rotation
with the pure rules (an override that comes into force or stops deciding at this instant is
recorded at it, `oncall.replace_overrides`), and the participants, the state, the history
and the next run time (the earliest of the next handoff, override edge and pending change) are
written. The batch engine, which locks every rotation in one statement, shares `settle()` and
`commit()`.

This is the locked path: three statements (lock, read, save) between BEGIN and COMMIT, plus
one per applied scheduled change. A queue job of many rotations first tries the batched path
(`handoff.store.batched`), which reads them all in one statement and writes each with this
module's `save` statement, guarded, and leaves to this path any rotation that changed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from handoff import logs, oncall, rotation
from handoff.hours import Window
from handoff.store import inputs
from handoff.store.queries import Queries

Engine = Literal["queue", "batch", "api"]
Q = Queries("state")
P = Queries("participants")
SCHEDULES = Queries("schedules")  # a rotation writer re-runs the schedules it is a layer of
NEVER = datetime.min.replace(tzinfo=UTC)  # "last brought up to date" of a rotation never run

log = logs.Logger("handoff.engine")


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    id: UUID
    user_id: UUID
    position: int
    user_name: str

    def core(self) -> rotation.Participant:
        return rotation.Participant(self.id, self.user_id)


@dataclass(frozen=True, slots=True)
class Locked:
    """A rotation as read under lock: its config, participants in order, state, overrides
    and pending scheduled changes, and the engine's clock."""

    id: UUID
    name: str
    type: str
    shift_length: int
    start: datetime
    time_zone: str
    grid_changed_at: datetime
    participants: list[ParticipantRow]
    state: rotation.State | None
    now: datetime  # the engine's clock (the database's), read under the lock
    description: str = ""
    caught_up_at: datetime | None = None  # when it was last brought up to date
    overrides: tuple[oncall.Override, ...] = ()  # those not ended by caught_up_at
    changes: tuple[oncall.ScheduledChange, ...] = ()  # pending, in time order
    names: Mapping[UUID, str] = field(default_factory=dict)  # users they name
    active_hours: tuple[Window, ...] | None = None  # hours.md; None: always active
    turns: str = "active"

    def config(self) -> oncall.Config:
        return oncall.Config(
            self.type, self.shift_length, self.start, self.time_zone, self.active_hours, self.turns
        )

    def with_config(self, config: oncall.Config) -> Locked:
        return replace(
            self,
            type=config.type,
            shift_length=config.shift_length,
            start=config.start,
            time_zone=config.time_zone,
            active_hours=config.active_hours,
            turns=config.turns,
        )

    def core_participants(self) -> list[rotation.Participant]:
        return [p.core() for p in self.participants]

    def inputs(self) -> oncall.Inputs:
        """What the pure projection (`handoff.oncall`) takes."""
        return oncall.Inputs(
            self.config(), self.state, tuple(self.core_participants()), self.overrides, self.changes
        )

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        participants: list[ParticipantRow],
        state: dict[str, Any],
        now: datetime,
    ) -> Locked:
        """Build from a rotation row and a row with the state's columns (all null: no state)
        and, when read, the rotation's overrides, pending changes and the names they use."""
        config = inputs.config(row)
        return cls(
            id=row["id"],
            name=row["name"],
            type=row["type"],
            shift_length=row["shift_length"],
            start=row["start_at"],
            time_zone=row["time_zone"],
            grid_changed_at=row["grid_changed_at"],
            participants=participants,
            state=inputs.state(state),
            now=now,
            description=row.get("description", ""),
            caught_up_at=state.get("caught_up_at"),
            overrides=tuple(
                inputs.override(o, state.get("caught_up_at") or NEVER)
                for o in inputs.as_json(state.get("overrides"), [])
            ),
            changes=tuple(inputs.change(c) for c in inputs.as_json(state.get("changes"), [])),
            names={UUID(k): v for k, v in inputs.as_json(state.get("names"), {}).items()},
            active_hours=config.active_hours,
            turns=config.turns,
        )


async def lock(conn: AsyncConnection[Any], rotation_id: UUID) -> Locked | None:
    """Lock the rotation, its state and its schedule for this transaction, and read the clock,
    its overrides and pending changes. None if the rotation does not exist."""
    args = {"rotation_id": rotation_id}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["lock_rotation"], args)
        row = await cur.fetchone()
        if row is None:
            return None
        await cur.execute(Q["read_locked"], args)
        found = await cur.fetchone()
    assert found is not None
    return Locked.from_row(row, participant_rows(found), found, found["now"])


def participant_rows(found: Mapping[str, Any]) -> list[ParticipantRow]:
    """The participants of a read's row (its parallel arrays), in order."""
    return [
        ParticipantRow(*fields)
        for fields in zip(
            found["ids"], found["user_ids"], found["positions"], found["user_names"], strict=True
        )
    ]


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One on-call change as the history records it (oncall.md, "The on-call timeline")."""

    at: datetime
    cause: str
    from_participant_id: UUID | None
    from_user_id: UUID | None
    from_user_name: str | None
    to_participant_id: UUID | None
    to_user_id: UUID | None
    to_user_name: str | None
    effective: bool = True
    override_id: UUID | None = None
    change_id: UUID | None = None
    on_call_user_id: UUID | None = None  # who is on call after the row (the effective person)
    on_call_user_name: str | None = None
    on_call_override_id: UUID | None = None  # the override deciding after the row, if any

    def as_json(self) -> dict[str, object]:
        """The row as handoff_save_v1 reads it (jsonb_to_recordset)."""
        return {
            "at": self.at.isoformat(),
            "cause": self.cause,
            "from_participant_id": _text(self.from_participant_id),
            "to_participant_id": _text(self.to_participant_id),
            "from_user_id": _text(self.from_user_id),
            "from_user_name": self.from_user_name,
            "to_user_id": _text(self.to_user_id),
            "to_user_name": self.to_user_name,
            "effective": self.effective,
            "override_id": _text(self.override_id),
            "change_id": _text(self.change_id),
            "on_call_user_id": _text(self.on_call_user_id),
            "on_call_user_name": self.on_call_user_name,
            "on_call_override_id": _text(self.on_call_override_id),
        }


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Settled:
    """A rotation caught up to the clock: `locked` as it now is (state, participants and grid),
    the history rows that got it there, and the scheduled changes it applied."""

    locked: Locked
    rows: tuple[HistoryRow, ...] = ()
    applied: tuple[oncall.Applied, ...] = ()


def _name(locked: Locked, rows: Sequence[ParticipantRow], user_id: UUID | None) -> str | None:
    if user_id is None:
        return None
    for p in rows:
        if p.user_id == user_id:
            return p.user_name
    for p in locked.participants:
        if p.user_id == user_id:
            return p.user_name
    return locked.names.get(user_id, "")


def _handoff_row(
    locked: Locked,
    rows: Sequence[ParticipantRow],
    h: rotation.Handoff,
    effective: bool,
    on_call: OnCall,
) -> HistoryRow:
    """A row of the rotation's own person; `on_call` is who is on call after it."""
    source = h.from_participant
    return HistoryRow(
        h.at,
        h.cause,
        source.id if source else None,
        source.user_id if source else None,
        _name(locked, rows, source.user_id) if source else None,
        h.to_participant.id,
        h.to_participant.user_id,
        _name(locked, rows, h.to_participant.user_id),
        effective,
        on_call_user_id=on_call[0],
        on_call_user_name=_name(locked, rows, on_call[0]),
        on_call_override_id=on_call[1],
    )


def _own_rows(
    before: Locked,
    after: Locked,
    rows: Sequence[ParticipantRow],
    handoffs: Sequence[rotation.Handoff],
) -> tuple[HistoryRow, ...]:
    """The rows of a repair or an edit at `now`: without overrides each hands over to its
    own person; with them the effective person is the projection's, before and after. An
    edit that leaves nobody taking part (the rules hand over to no one) is recorded too."""
    if not handoffs and before.state is not None and after.state is None:
        return _emptied(before, after)
    if not before.overrides:
        return tuple(
            _handoff_row(before, rows, h, True, (h.to_participant.user_id, None)) for h in handoffs
        )
    on_call = _on_call(after)
    effective = _on_call(before)[0] != on_call[0]
    return tuple(_handoff_row(before, rows, h, effective, on_call) for h in handoffs)


def _emptied(before: Locked, after: Locked) -> tuple[HistoryRow, ...]:
    """The row of the last participant leaving: from the rotation's own person to nobody
    (named by the state alone when a plain-SQL delete took their participant row)."""
    assert before.state is not None
    pid = before.state.participant_id
    source = next((p for p in before.participants if p.id == pid), None)
    user_id, user_name = (None, None) if source is None else (source.user_id, source.user_name)
    on_call: OnCall = _on_call(after) if before.overrides else (None, None)
    cause = "participant_removed" if len(before.participants) <= 1 else "participants_replaced"
    effective = (_on_call(before)[0] if before.overrides else user_id) != on_call[0]
    return (
        HistoryRow(
            before.now,
            cause,
            pid,
            user_id,
            user_name,
            None,
            None,
            None,
            effective,
            on_call_user_id=on_call[0],
            on_call_user_name=_name(before, before.participants, on_call[0]),
            on_call_override_id=on_call[1],
        ),
    )


def _event_row(locked: Locked, rows: Sequence[ParticipantRow], e: oncall.Event) -> HistoryRow:
    return HistoryRow(
        e.at,
        e.cause,
        e.from_participant.id if e.from_participant else None,
        e.from_user_id,
        _name(locked, rows, e.from_user_id),
        e.to_participant.id if e.to_participant else None,
        e.to_user_id,
        _name(locked, rows, e.to_user_id),
        e.effective,
        e.override_id,
        e.change_id,
        e.effective_to,
        _name(locked, rows, e.effective_to),
        e.deciding_override_id,
    )


def _rows_for(locked: Locked, participants: Sequence[rotation.Participant]) -> list[ParticipantRow]:
    return [
        ParticipantRow(p.id, p.user_id, i, _name(locked, locked.participants, p.user_id) or "")
        for i, p in enumerate(participants)
    ]


def settle(locked: Locked, *, strict: bool) -> Settled:
    """Catch the rotation up to `locked.now`: plain-SQL repairs (rotation.reconcile) and every
    boundary, scheduled change and override edge due, in time order (oncall.catch_up).

    A rotation without state is walked first (overrides and scheduled changes decide who is
    on call even while nobody takes part) and started after, at `now`, if it has participants
    then; one with state is repaired first and walked after. A start under an override in
    force changes no one (its row is not `effective`).

    A grid written around validation (an unknown zone put there by hand) cannot be walked:
    the engine (`strict`) raises, so its job fails and retries alone; an edit proceeds with
    the repairs only, so that the edit that fixes the grid can be made.
    """
    try:
        if locked.state is None:
            walked = _walk(locked)
            started = _reconciled(walked.locked)
            return Settled(started.locked, walked.rows + started.rows, walked.applied)
        repaired = _reconciled(locked)
        caught = repaired.locked
        walked = _advanced(caught) if _plain(caught) else _walk(caught)
        return Settled(walked.locked, repaired.rows + walked.rows, walked.applied)
    except ValueError:
        if strict:
            raise
        return _reconciled(locked)


def _reconciled(locked: Locked) -> Settled:
    """The repairs of rotation.reconcile, with their history rows."""
    change = rotation.reconcile(
        locked.state, locked.core_participants(), locked.grid_changed_at, locked.now
    )
    if change.state == locked.state and not change.handoffs:
        return Settled(locked)  # nothing to repair: the common case, without a copy
    after = replace(locked, state=change.state)
    return Settled(after, _own_rows(locked, after, locked.participants, change.handoffs))


def _plain(locked: Locked) -> bool:
    """A running rotation with no override left to walk and no pending change: most
    rotations, most of the time."""
    return (
        locked.state is not None
        and bool(locked.participants)
        and not locked.overrides
        and not locked.changes
        and locked.active_hours is None
    )


def _advanced(locked: Locked) -> Settled:
    """`_walk` of a plain rotation: with no override and no change, the projection's catch-up
    is rotation.advance (oncall.catch_up), which this takes for a fraction of the cost; a
    storm is made of these."""
    assert locked.state is not None
    change = rotation.advance(
        locked.config().grid(), locked.state, locked.core_participants(), locked.now
    )
    rows = tuple(
        # The effective person changes unless the list names the same user twice in a row.
        _handoff_row(
            locked,
            locked.participants,
            h,
            h.from_participant.user_id != h.to_participant.user_id,
            (h.to_participant.user_id, None),
        )
        for h in change.handoffs
        if h.from_participant is not None
    )
    return Settled(replace(locked, state=change.state), rows)


def _walk(locked: Locked) -> Settled:
    """Every boundary, scheduled change and override edge due by `now` (oncall.catch_up)."""
    result = oncall.catch_up(locked.inputs(), locked.now, after=locked.caught_up_at or NEVER)
    participants = (
        locked.participants
        if list(result.participants) == locked.core_participants()
        else _rows_for(locked, result.participants)
    )
    rows = tuple(_event_row(locked, participants, e) for e in result.events)
    applied_ids = {a.change_id for a in result.applied}
    config = result.config
    grid_changed_at = locked.grid_changed_at
    if config != locked.config():
        grid_changed_at = max(a.at for a in result.applied)
    for a in result.applied:
        if a.skipped:
            log.warning(
                "scheduled change applied in part",
                rotation_id=str(locked.id),
                change_id=str(a.change_id),
                skipped=a.skipped,
            )
    caught = replace(
        locked.with_config(config),
        grid_changed_at=grid_changed_at,
        participants=list(participants),
        state=result.state,
        changes=tuple(c for c in locked.changes if c.id not in applied_ids),
    )
    return Settled(caught, rows, result.applied)


@dataclass(frozen=True, slots=True)
class Edit:
    """What a writer's rule decided on top of the caught-up rotation.

    `change` is the rule's outcome (its state and handoffs); `participants` the new list when
    the edit changed it (positions in order), and `config` the new grid fields and active
    hours when it changed them (the edit writes the rotation's row itself). `overrides` and
    `changes`, when the edit wrote them, are the rotation's overrides and pending changes after
    it: an override that comes into force or stops deciding at `now` is recorded at `now`, in
    this transaction.
    """

    change: rotation.Change
    participants: Sequence[ParticipantRow] | None = None
    config: oncall.Config | None = None
    overrides: tuple[oncall.Override, ...] | None = None  # the rotation's, when it changed them
    changes: tuple[oncall.ScheduledChange, ...] | None = None  # its pending ones, likewise
    names: Mapping[UUID, str] = field(default_factory=dict)  # of users the edit names
    ending: oncall.EventCause = "override_ended"  # the cause of the overrides it ends

    @classmethod
    def unchanged(cls, locked: Locked, **kwargs: Any) -> Edit:
        """An edit that leaves the rotation's own person as it is (overrides, changes)."""
        return cls(rotation.Change(locked.state, ()), **kwargs)


EditFn = Callable[[Locked], Awaitable[Edit]]


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: the rotation as locked (before), and every history row it wrote."""

    locked: Locked
    rows: tuple[HistoryRow, ...]


async def write(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    edit: EditFn | None = None,
    *,
    engine: Engine = "api",
    job_id: int | None = None,
) -> Written | None:
    """Lock, catch up, apply `edit`, save and schedule, in one transaction (or savepoint).

    `edit` receives the rotation as locked and caught up to the clock, and may run
    statements of its own (validation reads, the rotation's config); what it raises rolls the
    whole write back. None if the rotation does not exist.
    """
    async with conn.transaction():
        locked = await lock(conn, rotation_id)
        if locked is None:
            return None
        settled = settle(locked, strict=engine != "api")
        rows = await commit(conn, locked, settled, edit, engine=engine, job_id=job_id)
        if edit is not None:
            # Its schedules read it through the projection: a writer's edit re-runs them
            # (schedules.md); the engine's own runs are what their projections foresaw.
            await conn.execute(SCHEDULES["enqueue_for_rotation"], {"rotation_id": rotation_id})
    return Written(locked, rows)


async def commit(
    conn: AsyncConnection[Any],
    locked: Locked,
    settled: Settled,
    edit: EditFn | None = None,
    *,
    engine: Engine,
    job_id: int | None = None,
) -> tuple[HistoryRow, ...]:
    """Write a settled rotation, and the edit applied on top of it, within the caller's
    transaction; returns the history rows written."""
    caught = settled.locked
    if caught.participants != locked.participants:
        await write_participants(conn, locked.participants, locked.id, caught.participants)
    if caught.config() != locked.config():
        await conn.execute(
            Q["write_grid"],
            {
                "rotation_id": locked.id,
                "type": caught.type,
                "shift_length": caught.shift_length,
                "start": caught.start,
                "time_zone": caught.time_zone,
                "active_hours": inputs.hours_json(caught.active_hours),
                "turns": caught.turns,
                "grid_changed_at": caught.grid_changed_at,
            },
        )
    if settled.applied:
        await conn.execute(
            Q["mark_applied"],
            {
                "ids": [a.change_id for a in settled.applied],
                "ats": [a.at for a in settled.applied],
                "skipped": [a.skipped for a in settled.applied],
            },
        )
    rows = list(settled.rows)
    final = caught
    if edit is not None:
        edited = await edit(caught)
        new_rows = caught.participants if edited.participants is None else edited.participants
        if edited.participants is not None:
            await write_participants(conn, caught.participants, locked.id, new_rows)
        final = replace(
            caught,
            participants=list(new_rows),
            state=edited.change.state,
            names={**caught.names, **edited.names},
        )
        if edited.config is not None:
            final = final.with_config(edited.config)
        rows += _own_rows(caught, final, new_rows, edited.change.handoffs)
        if edited.overrides is not None:
            edges = oncall.replace_overrides(
                final.inputs(), edited.overrides, final.now, ending=edited.ending
            )
            final = replace(final, overrides=edited.overrides)
            rows += (_event_row(final, new_rows, e) for e in edges)
        if edited.changes is not None:
            final = replace(final, changes=edited.changes)
    await save(
        conn,
        final,
        rows,
        engine=engine,
        write_state=final.state != locked.state,
        next_run_at=next_run_at(final),
        job_id=job_id,
    )
    return tuple(rows)


OnCall = tuple[UUID | None, UUID | None]  # who is on call, and the override that decides


def _on_call(locked: Locked) -> OnCall:
    try:
        found = oncall.on_call_at(locked.inputs(), locked.now)
    except ValueError:
        found = None
    return (found.user_id, found.override_id) if found else (None, None)


def next_run_at(locked: Locked) -> datetime | None:
    """The earliest of the next handoff, override edge and pending change; at once for a
    grid that cannot be computed (its job then fails alone)."""
    try:
        return oncall.next_wake(locked.inputs(), locked.now)
    except ValueError:
        return None if locked.state is None else locked.now


async def write_participants(
    conn: AsyncConnection[Any],
    old_rows: Sequence[ParticipantRow],
    rotation_id: UUID,
    rows: Sequence[ParticipantRow],
) -> None:
    """Make the stored list (`old_rows`) equal `rows`, touching only what differs."""
    old = {p.id: p for p in old_rows}
    kept = [p for p in rows if p.id in old]
    added = [p for p in rows if p.id not in old]
    gone = [pid for pid in old if pid not in {p.id for p in rows}]
    args: dict[str, object] = {"rotation_id": rotation_id}
    if gone:
        await conn.execute(P["delete_participants"], args | {"ids": gone})
    moved = [p for p in kept if old[p.id].position != p.position]
    if moved:
        await conn.execute(
            P["move_participants"],
            args | {"ids": [p.id for p in moved], "positions": [p.position for p in moved]},
        )
    if added:
        await conn.execute(
            P["insert_participants"],
            args
            | {
                "ids": [p.id for p in added],
                "user_ids": [p.user_id for p in added],
                "positions": [p.position for p in added],
            },
        )


async def record_failure(conn: AsyncConnection[Any], rotation_id: UUID, error: str) -> None:
    """Remember a failed update of the rotation (its own transaction rolled back)."""
    async with conn.transaction():
        await conn.execute(Q["record_failure"], {"rotation_id": rotation_id, "error": error})


async def save(
    conn: AsyncConnection[Any],
    locked: Locked,
    rows: Sequence[HistoryRow],
    *,
    engine: Engine,
    write_state: bool,
    next_run_at: datetime | None,
    job_id: int | None = None,
) -> None:
    """Write the state of `locked`, the history rows and the next run time in one statement.

    Releases the rotation from `job_id`, the job that ran it, if any, and notes that it was
    brought up to date at `locked.now`.
    """
    params = save_params(
        locked,
        rows,
        engine=engine,
        write_state=write_state,
        next_run_at=next_run_at,
        job_id=job_id,
    )
    await conn.execute(Q["save"], {"save": json.dumps(params)})


def save_params(
    locked: Locked,
    rows: Sequence[HistoryRow],
    *,
    engine: Engine,
    write_state: bool,
    next_run_at: datetime | None,
    job_id: int | None,
    versions: tuple[str, str] | None = None,
) -> dict[str, object]:
    """What handoff_save_v1 takes, as JSON values; `versions` (of the state and schedule
    rows) make it write only if neither changed since they were read."""
    new = locked.state
    state_version, schedule_version = versions or (None, None)
    return {
        "rotation_id": str(locked.id),
        "write_state": new is not None and write_state,
        "delete_state": new is None and write_state,
        "position": new.position if new else None,
        "participant_id": _text(new.participant_id if new else None),
        "shift_start": _instant(new.shift_start if new else None),
        "first_shift": new.first_shift if new else None,
        "processed_at": locked.now.isoformat(),
        "engine": engine,
        "handoffs": [r.as_json() for r in rows],
        "next_run_at": _instant(next_run_at),
        "job_id": job_id,
        "state_version": state_version,
        "schedule_version": schedule_version,
    }


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
