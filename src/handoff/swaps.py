"""Shift swaps (people.md, "Swaps"): the rules, as pure functions of what was read.

A person asks for cover of part of their own shift (open); another participant takes it, which
makes an override (taker replaces requester) in the same write (taken); the requester or an
admin may cancel (a taken swap's override goes if it has not started; after that it is
history); an open request whose start has passed is expired. These functions decide; the store
(`handoff.store.swaps`) reads, writes and turns a `Refusal` into the API's and CLI's errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal
from uuid import UUID

from handoff import oncall

Status = Literal["open", "taken", "cancelled", "expired"]
STATUSES: tuple[Status, ...] = ("open", "taken", "cancelled", "expired")


class Refusal(Exception):
    """Why a swap action is refused: `kind` says how (the HTTP status's meaning), `field`
    which field is at fault for an invalid request."""

    def __init__(self, kind: Literal["invalid", "conflict"], message: str, field: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.field = field


def shown_status(status: Status, start: datetime, now: datetime) -> Status:
    """The status as people see it at `now`: an open request whose start has passed is
    expired at once, before the sweep records it."""
    return "expired" if status == "open" and start <= now else status


def check_request(
    segments: Iterable[oncall.Segment], requester_id: UUID, start: datetime, end: datetime
) -> None:
    """The requester must be the rotation's own on-call person for some of [start, end)
    (`segments`: the rotation's projection over that range)."""
    if not on_call_in(segments, requester_id):
        raise Refusal(
            "invalid",
            "the requester is not on call in this rotation at any time in [start, end)",
            "start",
        )


def on_call_in(segments: Iterable[oncall.Segment], person_id: UUID) -> bool:
    """Whether `person_id` is the rotation's own on-call person anywhere in `segments`."""
    return any(s.rotation_user_id == person_id and s.start < s.end for s in segments)


def check_take(
    status: Status,
    start: datetime,
    now: datetime,
    requester_id: UUID,
    taker_id: UUID,
    participant_ids: Iterable[UUID],
) -> None:
    """Only an open request can be taken, by another participant of the rotation."""
    shown = shown_status(status, start, now)
    if shown != "open":
        raise Refusal("conflict", f"the swap is {shown}: only an open swap can be taken")
    if taker_id == requester_id:
        raise Refusal("invalid", "the requester cannot take their own swap", "user_id")
    if taker_id not in set(participant_ids):
        raise Refusal("invalid", "the taker must be a participant of the rotation", "user_id")


Cancel = Literal["cancel", "cancel_and_remove_override"]


def check_cancel(
    status: Status, start: datetime, override_start: datetime | None, now: datetime
) -> Cancel:
    """What cancelling does: an open request is cancelled; a taken one whose override (or,
    its override gone, whose time) has not started is cancelled and its override removed;
    anything else is refused."""
    shown = shown_status(status, start, now)
    if shown == "open":
        return "cancel"
    if shown == "taken":
        if cover_started(start, override_start, now):
            raise Refusal("conflict", "the swap has started: its cover is history")
        return "cancel_and_remove_override"
    raise Refusal("conflict", f"the swap is {shown} already")


def cover_started(start: datetime, override_start: datetime | None, now: datetime) -> bool:
    """Whether a taken swap's cover has begun: its override's start or, the override gone,
    the swap's own."""
    return (override_start if override_start is not None else start) <= now


Release = Literal["keep", "reopen", "cancel"]


def released(
    start: datetime,
    override_start: datetime | None,
    now: datetime,
    requester_on_call: bool,
) -> Release:
    """What a taken swap becomes when its taker is deleted (people.md is silent; this is what a
    requester expects: the need for cover outlives the colleague who promised it). A cover
    that has begun is history and stays taken (its override ends now with the person's
    others); one not begun loses its override with the person's other future overrides, and
    the request is open again while the requester is still on call for some of it (the
    removal rule may have moved their shifts), else cancelled: nothing is left to cover."""
    if cover_started(start, override_start, now):
        return "keep"
    return "reopen" if requester_on_call else "cancel"


def may_act(role: str | None, caller_id: UUID | None, person_id: UUID) -> bool:
    """Whether a caller acts for `person_id`: an admin for anyone, a responder for themselves
    (people.md: responders request, take and cancel their own swaps)."""
    return role == "admin" or (role == "responder" and caller_id == person_id)
