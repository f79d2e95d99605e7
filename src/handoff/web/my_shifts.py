"""A person's next shifts as their home page shows them: each with whom they take over from
and whom they hand to (people.md, "My shifts"). Pure: built from the projection of the
rotations they are in (store.calendar), so it shows what the API, the feeds and the engine
follow, overrides included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from uuid import UUID

from handoff.store.calendar import Segment


@dataclass(frozen=True, slots=True)
class MyShift:
    rotation_id: UUID
    start: datetime
    end: datetime
    from_user: UUID | None  # who is on call just before (None: nobody, or before the window)
    to_user: UUID | None  # who is on call just after (None: nobody, or after the window)
    covering: bool  # an override puts them on call for some of it
    known_start: bool  # False: it began before the window (the shift in force)
    known_end: bool  # False: it runs past the window


def upcoming(segments: Sequence[Segment], me: UUID, limit: int) -> list[MyShift]:
    """The person's shifts by start, at most `limit`; `segments`: every segment of the
    rotations they are in over one window, by rotation, then start (as store.calendar gives
    them). Touching pieces of their own (split at an override edge) are one shift."""
    found: list[MyShift] = []
    for rotation_id, pieces in groupby(segments, key=lambda s: s.rotation_id):
        timeline = _merged(list(pieces))
        for i, (user, start, end, covering) in enumerate(timeline):
            if user != me:
                continue
            before = timeline[i - 1] if i > 0 and timeline[i - 1][2] == start else None
            after = timeline[i + 1] if i + 1 < len(timeline) and timeline[i + 1][1] == end else None
            found.append(
                MyShift(
                    rotation_id,
                    start,
                    end,
                    before[0] if before else None,
                    after[0] if after else None,
                    covering,
                    known_start=i > 0,
                    known_end=i + 1 < len(timeline),
                )
            )
    return sorted(found, key=lambda s: (s.start, s.rotation_id))[:limit]


Piece = tuple[UUID | None, datetime, datetime, bool]


def _merged(pieces: list[Segment]) -> list[Piece]:
    """The rotation's timeline with touching pieces of one person joined."""
    merged: list[Piece] = []
    for s in pieces:
        last = merged[-1] if merged else None
        if last is not None and last[0] == s.user_id and last[2] == s.start:
            merged[-1] = (last[0], last[1], s.end, last[3] or s.override_id is not None)
        else:
            merged.append((s.user_id, s.start, s.end, s.override_id is not None))
    return merged
