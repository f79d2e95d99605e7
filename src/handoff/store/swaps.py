"""Shift swaps' reads and writes (people.md, "Swaps"); the rules are `handoff.swaps`.

Every write runs inside its rotation's one write path (`state.write`): under the rotation's
lock, with the rotation caught up to the engine's clock. Taking a swap makes its override
(taker replaces requester) through `overrides.add` in that same transaction, so two people
taking one swap at once are served in turn: the second finds it taken (409). The messages
`swap.requested` and `swap.taken` are written to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row

from handoff import oncall
from handoff import swaps as rules
from handoff.store import overrides, state, text, times
from handoff.store.errors import Conflict, Errors, NotFound, StoreError, invalid
from handoff.store.pagination import Page, check_limit, decode, page
from handoff.store.queries import Queries

Q = Queries("swaps")
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class Swap:
    id: UUID
    rotation_id: UUID
    rotation_name: str
    requester_id: UUID
    requester_name: str
    start: datetime
    end: datetime
    note: str
    status: rules.Status  # as shown: an open request past its start is expired
    taker_id: UUID | None
    taker_name: str | None
    override_id: UUID | None
    override_start: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Swap:
        now = row.pop("now")
        row["status"] = rules.shown_status(row["status"], row["start"], now)
        return cls(**row)


def _refused(refusal: rules.Refusal) -> StoreError:
    if refusal.kind == "conflict":
        return Conflict(str(refusal))
    return invalid(refusal.field, str(refusal))


async def _write(conn: AsyncConnection[Any], rotation_id: UUID, edit: state.EditFn) -> None:
    try:
        await overrides.write(conn, rotation_id, edit)
    except rules.Refusal as refusal:
        raise _refused(refusal) from None


async def _notify(conn: AsyncConnection[Any], swap_id: UUID, event: str) -> None:
    await conn.execute(
        Q["notify_swap"],
        {"id": swap_id, "type": event, "to_requester": event == "swap.taken"},
    )


def _times(start: datetime, end: datetime, note: str, now: datetime) -> tuple[Any, Any, str]:
    """The request's fields checked: minutes, start < end, start in the future."""
    errors = Errors()
    begin = errors.take(lambda: overrides.minute(times.check("start", start)))
    finish = errors.take(lambda: overrides.minute(times.check("end", end)))
    if begin is not None and finish is not None and finish <= begin:
        errors.add("end", "must be after start")
    elif begin is not None and begin <= now:
        errors.add("start", "must be in the future")
    checked = errors.take(lambda: text.check("note", note, max_length=MAX_NOTE, multiline=True))
    errors.raise_any()
    assert checked is not None
    return begin, finish, checked


async def request(
    conn: AsyncConnection[Any],
    rotation_id: UUID,
    requester_id: UUID,
    start: datetime,
    end: datetime,
    note: str = "",
) -> Swap:
    """An open request for cover of [start, end), which must hold some of the requester's
    own shifts in the rotation."""
    made: list[UUID] = []

    async def edit(locked: state.Locked) -> state.Edit:
        begin, finish, checked = _times(start, end, note, locked.now)
        rules.check_request(
            oncall.segments(locked.inputs(), begin, finish), requester_id, begin, finish
        )
        async with conn.cursor() as cur:
            await cur.execute(
                Q["insert_swap"],
                {
                    "rotation_id": rotation_id,
                    "requester_id": requester_id,
                    "start": begin,
                    "end": finish,
                    "note": checked,
                    "now": locked.now,
                },
            )
            row = await cur.fetchone()
        assert row is not None
        made.append(row[0])
        await _notify(conn, row[0], "swap.requested")
        return state.Edit.unchanged(locked)

    await _write(conn, rotation_id, edit)
    return await get(conn, made[0])


async def get(conn: AsyncConnection[Any], swap_id: UUID) -> Swap:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(Q["get_swap"], {"id": swap_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFound("swap", swap_id)
    return Swap.from_row(row)


async def _rotation_of(conn: AsyncConnection[Any], swap_id: UUID) -> UUID:
    async with conn.cursor() as cur:
        await cur.execute(Q["swap_rotation"], {"id": swap_id})
        row = await cur.fetchone()
    if row is None:
        raise NotFound("swap", swap_id)
    rotation_id: UUID = row[0]
    return rotation_id


async def _locked_swap(conn: AsyncConnection[Any], swap_id: UUID) -> Swap:
    await conn.execute(Q["lock_swap"], {"id": swap_id})
    return await get(conn, swap_id)


async def take(conn: AsyncConnection[Any], swap_id: UUID, taker_id: UUID, *, limit: int) -> Swap:
    """`taker_id` covers the swap: an override {start, end, user_id: taker, replaces_user_id:
    requester} in the same transaction; `limit` is HANDOFF_MAX_OVERRIDES."""
    rotation_id = await _rotation_of(conn, swap_id)

    async def edit(locked: state.Locked) -> state.Edit:
        swap = await _locked_swap(conn, swap_id)
        participants = (p.user_id for p in locked.participants)
        rules.check_take(
            swap.status, swap.start, locked.now, swap.requester_id, taker_id, participants
        )
        draft = overrides.Draft(swap.start, swap.end, taker_id, swap.requester_id, swap.note)
        made, added = await overrides.add(conn, locked, draft, limit=limit)
        await conn.execute(
            Q["mark_taken"],
            {"id": swap_id, "taker_id": taker_id, "override_id": made.id, "now": locked.now},
        )
        await _notify(conn, swap_id, "swap.taken")
        return added

    await _write(conn, rotation_id, edit)
    return await get(conn, swap_id)


async def cancel(conn: AsyncConnection[Any], swap_id: UUID) -> Swap:
    """Cancel an open swap, or a taken one whose cover has not started (its override goes)."""
    rotation_id = await _rotation_of(conn, swap_id)

    async def edit(locked: state.Locked) -> state.Edit:
        swap = await _locked_swap(conn, swap_id)
        outcome = rules.check_cancel(swap.status, swap.start, swap.override_start, locked.now)
        done = state.Edit.unchanged(locked)
        if outcome == "cancel_and_remove_override" and swap.override_id is not None:
            done = await overrides.remove_future(conn, locked, swap.override_id)
        await conn.execute(Q["mark_cancelled"], {"id": swap_id, "now": locked.now})
        return done

    await _write(conn, rotation_id, edit)
    return await get(conn, swap_id)


@dataclass(frozen=True, slots=True)
class Taken:
    """A swap taken by a person about to be deleted, with its cover's start."""

    id: UUID
    requester_id: UUID
    start: datetime
    end: datetime
    override_start: datetime | None


async def taken_by(conn: AsyncConnection[Any], rotation_id: UUID, user_id: UUID) -> list[Taken]:
    """The rotation's swaps taken by a person about to be deleted, read before their overrides
    go (a deleted override no longer says when the cover began)."""
    async with conn.cursor(row_factory=class_row(Taken)) as cur:
        await cur.execute(Q["taken_by"], {"rotation_id": rotation_id, "user_id": user_id})
        return await cur.fetchall()


async def release(conn: AsyncConnection[Any], taken: Sequence[Taken], after: state.Locked) -> None:
    """Within the rotation's write deleting their taker, each of `taken` as `rules.released`
    says; `after` is the rotation once the taker has left it. A request open again is told
    again (`swap.requested`), so another participant may take it."""
    for swap in taken:
        segments = oncall.segments(after.inputs(), swap.start, swap.end)
        on_call = rules.on_call_in(segments, swap.requester_id)
        outcome = rules.released(swap.start, swap.override_start, after.now, on_call)
        if outcome == "reopen":
            await conn.execute(Q["mark_reopened"], {"id": swap.id, "now": after.now})
            await _notify(conn, swap.id, "swap.requested")
        elif outcome == "cancel":
            await conn.execute(Q["mark_cancelled"], {"id": swap.id, "now": after.now})


async def list_swaps(
    conn: AsyncConnection[Any],
    *,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
    rotation_id: UUID | None = None,
    user_id: UUID | None = None,
    not_ended: bool = False,
) -> Page[Swap]:
    """Swaps by start, filtered by status as shown, rotation, person (requester or taker) and
    (the pages' lists) those whose end has not passed."""
    check_limit(limit)
    if status is not None and status not in rules.STATUSES:
        raise invalid("status", f"must be one of {', '.join(rules.STATUSES)}")
    after = decode(cursor, datetime, UUID) or [None, None]
    if rotation_id is not None:
        await overrides.check_rotation(conn, rotation_id)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            Q["list_swaps"],
            {
                "status": status,
                "rotation_id": rotation_id,
                "user_id": user_id,
                "not_ended": not_ended,
                "after_start": after[0],
                "after_id": after[1],
                "limit": limit + 1,
            },
        )
        rows = [Swap.from_row(r) for r in await cur.fetchall()]
    return page(rows, limit, lambda s: (s.start, s.id))


async def expire_due(conn: AsyncConnection[Any]) -> int:
    """Record as expired the open requests whose start has passed (the sweep's part)."""
    async with conn.cursor() as cur:
        await cur.execute(Q["expire_due"])
        return len(await cur.fetchall())
