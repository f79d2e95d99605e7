"""Which reminders are due, from a person's projected shifts: pure.

A shift here is a run of the person's segments in one rotation with no gap (a boundary where
they stay on call, or a piece cut by a scheduled change, is not a new shift), or, with active
hours, every on-call interval of one turn (hours.md: a weekly business-hours turn is reminded
once, before Monday's interval, not every day). A reminder is due
for every shift that starts after `now` and whose reminder time (`before` minutes earlier) has
come; a shift found after its reminder time (made at short notice) is reminded at once. The
next look is at the earliest reminder time still ahead, at most HORIZON away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

HORIZON = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Piece:
    rotation_id: UUID
    start: datetime
    end: datetime
    override_id: UUID | None
    turn_start: datetime | None = None  # the rotation's own turn, when known


@dataclass(frozen=True, slots=True)
class Setting:
    id: UUID
    before: timedelta


@dataclass(frozen=True, slots=True)
class Due:
    setting_id: UUID
    shift: Piece


def shifts(pieces: Iterable[Piece]) -> list[Piece]:
    """Join each rotation's touching pieces, and the own pieces of one turn, into shifts (the
    first piece's override and turn)."""
    ordered = sorted(pieces, key=lambda p: (str(p.rotation_id), p.start))
    joined: list[Piece] = []
    for piece in ordered:
        last = joined[-1] if joined else None
        same_turn = (
            last is not None
            and piece.turn_start is not None
            and (last.override_id, piece.override_id) == (None, None)
            and last.turn_start == piece.turn_start
        )
        if (
            last
            and last.rotation_id == piece.rotation_id
            and (last.end >= piece.start or same_turn)
        ):
            joined[-1] = Piece(
                last.rotation_id,
                last.start,
                max(last.end, piece.end),
                last.override_id,
                last.turn_start,
            )
        else:
            joined.append(piece)
    return joined


def window(settings: Sequence[Setting]) -> timedelta:
    """How far ahead shifts must be projected to decide these settings until the next look."""
    return max((s.before for s in settings), default=timedelta(0)) + HORIZON


def decide(
    settings: Sequence[Setting], pieces: Iterable[Piece], now: datetime
) -> tuple[list[Due], dict[UUID, datetime]]:
    """The reminders to send now, and when to look again at each setting."""
    coming = [s for s in shifts(pieces) if s.start > now]
    due: list[Due] = []
    next_look: dict[UUID, datetime] = {}
    for setting in settings:
        later = [now + HORIZON]
        for shift in coming:
            at = shift.start - setting.before
            if at <= now:
                due.append(Due(setting.id, shift))
            else:
                later.append(at)
        next_look[setting.id] = min(later)
    return due, next_look
