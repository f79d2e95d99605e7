"""Personal reminders as notify.md states them, written again from the spec alone.

"For every shift of that user that starts in the future ... one message `before_minutes` before
it starts. A shift that appears later than its reminder time is reminded at once if it has not
started." A shift is a person's unbroken time on call in one rotation: pieces that touch are one
shift. This reference says, for a fixed set of pieces and a worker that starts looking at `t0`,
when each reminder must first go out; the test then runs handoff.notify.reminders' decisions the
way the worker does (looking again when it says) and compares.

Shapes: a piece is `(rotation_id, start, end, override_id)`; a reminder is keyed by
`(setting_id, rotation_id, shift_start)`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

RefPiece = tuple[UUID, datetime, datetime, UUID | None]
Key = tuple[UUID, UUID, datetime]


def shifts(pieces: list[RefPiece]) -> list[RefPiece]:
    """Maximal unbroken runs per rotation: start from each piece no other piece touches from
    before, and extend it while some piece begins at or before its end (the override of the
    piece that begins the run)."""
    runs: list[RefPiece] = []
    for rotation, start, end, override in pieces:
        same = [p for p in pieces if p[0] == rotation]
        if any(p[1] < start <= p[2] for p in same):
            continue  # continues an earlier piece: not the beginning of a shift
        grown = True
        while grown:
            grown = False
            for _, s, e in ((p[0], p[1], p[2]) for p in same):
                if s <= end < e:
                    end, grown = e, True
        runs.append((rotation, start, end, override))
    return runs


def first_sent(
    settings: dict[UUID, timedelta], pieces: list[RefPiece], t0: datetime, until: datetime
) -> dict[Key, datetime]:
    """When each reminder due by `until` must first be sent, looking from `t0`: at its reminder
    time, or at `t0` for a shift still to start whose reminder time had passed."""
    sent: dict[Key, datetime] = {}
    for setting, before in settings.items():
        for rotation, start, _, _ in shifts(pieces):
            if start <= t0:
                continue  # started (or starting) already: no reminder
            at = max(start - before, t0)
            if at <= until:
                sent[(setting, rotation, start)] = at
    return sent
