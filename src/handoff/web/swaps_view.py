"""Shift swaps as the rotation and person pages show them: each with the controls the viewer
may use (Take: an open swap of someone else's, for a participant of its rotation; Cancel: the
requester's or an admin's, while the swap is open or its cover has not started)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from handoff import swaps as rules
from handoff.store import swaps
from handoff.web.session import Session


@dataclass(frozen=True, slots=True)
class SwapRow:
    swap: swaps.Swap
    can_take: bool
    can_cancel: bool


def rows(
    session: Session,
    found: list[swaps.Swap],
    now: datetime,
    participants: Collection[UUID] | None = None,
) -> list[SwapRow]:
    """`participants`: the rotation's people, when the page knows them (the rotation page);
    elsewhere Take shows for any open swap of someone else's and the store decides."""
    me = session.signer.user_id
    role = session.signer.role

    def takes(s: swaps.Swap) -> bool:
        return (
            session.can_cover
            and me is not None
            and s.status == "open"
            and me != s.requester_id
            and (participants is None or me in participants)
        )

    def cancels(s: swaps.Swap) -> bool:
        if not rules.may_act(role, me, s.requester_id):
            return False
        try:
            rules.check_cancel(s.status, s.start, s.override_start, now)
        except rules.Refusal:
            return False
        return True

    return [SwapRow(s, takes(s), cancels(s)) for s in found]


def asks_for_cover(session: Session, participants: Collection[UUID]) -> bool:
    """Whether the rotation page offers "Ask for cover": to a participant who is a
    responder or an admin (an admin without a person names the requester)."""
    me = session.signer.user_id
    return session.can_write or (session.can_cover and me is not None and me in participants)
