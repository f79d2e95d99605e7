"""The swap rules (handoff.swaps), as pure functions: status as shown, request, take, cancel,
and who acts for whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from handoff import oncall, swaps

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
H = timedelta(hours=1)
ANN, BOB, CY = uuid4(), uuid4(), uuid4()


def _segment(start: datetime, end: datetime, own: object) -> oncall.Segment:
    return oncall.Segment(start, end, BOB, None, own, None, None)  # type: ignore[arg-type]


def test_an_open_request_is_shown_expired_from_its_start() -> None:
    assert swaps.shown_status("open", NOW + H, NOW) == "open"
    assert swaps.shown_status("open", NOW, NOW) == "expired"
    assert swaps.shown_status("taken", NOW - H, NOW) == "taken"
    assert swaps.shown_status("cancelled", NOW - H, NOW) == "cancelled"


def test_a_request_needs_some_of_the_requesters_own_shift() -> None:
    pieces = [_segment(NOW, NOW + H, BOB), _segment(NOW + H, NOW + 2 * H, ANN)]
    swaps.check_request(pieces, ANN, NOW, NOW + 2 * H)  # covered by an override: still hers
    with pytest.raises(swaps.Refusal) as refused:
        swaps.check_request(pieces[:1], ANN, NOW, NOW + H)
    assert (refused.value.kind, refused.value.field) == ("invalid", "start")
    with pytest.raises(swaps.Refusal):
        swaps.check_request([], ANN, NOW, NOW + H)


@pytest.mark.parametrize(
    ("status", "start", "taker", "kind"),
    [
        ("open", NOW + H, BOB, None),
        ("open", NOW, BOB, "conflict"),  # expired
        ("taken", NOW + H, BOB, "conflict"),
        ("cancelled", NOW + H, BOB, "conflict"),
        ("open", NOW + H, ANN, "invalid"),  # the requester
        ("open", NOW + H, CY, "invalid"),  # not a participant
    ],
)
def test_only_another_participant_takes_an_open_request(
    status: swaps.Status, start: datetime, taker: object, kind: str | None
) -> None:
    def take() -> None:
        swaps.check_take(status, start, NOW, ANN, taker, [ANN, BOB])  # type: ignore[arg-type]

    if kind is None:
        take()
        return
    with pytest.raises(swaps.Refusal) as refused:
        take()
    assert refused.value.kind == kind


def test_cancel_an_open_or_a_not_yet_started_taken_swap() -> None:
    assert swaps.check_cancel("open", NOW + H, None, NOW) == "cancel"
    assert swaps.check_cancel("taken", NOW + H, NOW + H, NOW) == "cancel_and_remove_override"
    assert swaps.check_cancel("taken", NOW + H, None, NOW) == "cancel_and_remove_override"
    for status, start, override_start in (
        ("taken", NOW + H, NOW),  # its override has started
        ("taken", NOW, None),
        ("open", NOW, None),  # expired
        ("cancelled", NOW + H, None),
        ("expired", NOW - H, None),
    ):
        with pytest.raises(swaps.Refusal) as refused:
            swaps.check_cancel(status, start, override_start, NOW)  # type: ignore[arg-type]
        assert refused.value.kind == "conflict"


def test_a_swap_whose_taker_is_deleted_reopens_only_before_its_cover_begins() -> None:
    assert swaps.released(NOW + H, NOW + H, NOW, requester_on_call=True) == "reopen"
    assert swaps.released(NOW + H, None, NOW, requester_on_call=True) == "reopen"
    assert swaps.released(NOW + H, NOW + H, NOW, requester_on_call=False) == "cancel"
    # begun (the override's start decides while it exists): history, kept whatever the rota
    assert swaps.released(NOW + H, NOW, NOW, requester_on_call=True) == "keep"
    assert swaps.released(NOW - H, None, NOW, requester_on_call=False) == "keep"


def test_responders_act_for_themselves_and_admins_for_anyone() -> None:
    assert swaps.may_act("admin", None, ANN)
    assert swaps.may_act("responder", ANN, ANN)
    assert not swaps.may_act("responder", BOB, ANN)
    assert not swaps.may_act("reader", ANN, ANN)
    assert not swaps.may_act(None, ANN, ANN)
