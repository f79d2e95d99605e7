"""Personal reminders: decided from the projection when due, once per shift, at once for a
shift made at short notice, never at the old time of a shift that moved or went, and on the
right instant across a DST change. The clock is moved, never slept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from psycopg_pool import AsyncConnectionPool

from api.conftest import T0, Api
from handoff import hours, oncall, rotation
from handoff.notify import reminders
from handoff.notify.remind import remind_due

from .conftest import Receiver

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
R1, R2 = uuid4(), uuid4()


def _piece(rotation: UUID, start: datetime, hours: int, override: UUID | None = None) -> Any:
    return reminders.Piece(rotation, start, start + hours * HOUR, override)


def test_touching_pieces_of_one_rotation_are_one_shift() -> None:
    joined = reminders.shifts(
        [_piece(R1, T0, 1), _piece(R1, T0 + HOUR, 1), _piece(R2, T0 + HOUR, 1)]
    )
    assert sorted((p.rotation_id == R1, p.start, p.end) for p in joined) == [
        (False, T0 + HOUR, T0 + 2 * HOUR),
        (True, T0, T0 + 2 * HOUR),
    ]


def test_a_weekly_business_hours_turn_is_one_shift_to_remind() -> None:
    """hours.md: a turn's on-call intervals are reminded once, before the first (Monday
    morning), not every day; the next turn of the same person is a new shift."""
    monday = datetime(2026, 3, 2, 8, tzinfo=UTC)  # 09:00 in Berlin
    ann, bob = (rotation.Participant(uuid4(), uuid4()) for _ in range(2))
    business = hours.parse_windows(
        [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]
    )
    config = oncall.Config("weekly", 1, monday, "Europe/Berlin", business)
    given = oncall.Inputs(config, rotation.State(0, ann.id, monday), [ann, bob])
    pieces = [
        reminders.Piece(R1, s.start, s.end, s.override_id, s.turn_start)
        for s in oncall.segments(given, monday, monday + 21 * DAY)
        if s.user_id == ann.user_id
    ]
    assert len(pieces) == 10  # two turns of five days
    joined = reminders.shifts(pieces)
    assert [(p.start, p.end) for p in joined] == [
        (monday, monday + 4 * DAY + 8 * HOUR),
        (monday + 14 * DAY, monday + 18 * DAY + 8 * HOUR),
    ]


def test_decide_sends_what_is_due_and_looks_again_at_the_next_reminder_time() -> None:
    setting = reminders.Setting(uuid4(), HOUR)
    pieces = [_piece(R1, T0 + 30 * timedelta(minutes=1), 1), _piece(R1, T0 + 5 * HOUR, 1)]
    due, next_look = reminders.decide([setting], pieces, T0)
    assert [d.shift.start for d in due] == [T0 + timedelta(minutes=30)]
    assert next_look[setting.id] == T0 + 4 * HOUR
    started = reminders.decide([setting], [_piece(R1, T0 - HOUR, 2)], T0)
    assert started == ([], {setting.id: T0 + reminders.HORIZON})


class People:
    def __init__(self, api: Api, receiver: Receiver) -> None:
        self.api = api
        self.ann, self.bob, self.cy = api.user("Ann"), api.user("Bob"), api.user("Cy")
        made = api.admin.post(
            "/api/v1/channels",
            json={"name": "pager", "kind": "webhook", "target": receiver.at("/r")},
        )
        assert made.status_code == 201, made.text
        self.channel = made.json()["id"]
        # Daily at 09:00 Berlin; Ann is on call when it is made (T0, the 2nd), Bob on the 3rd,
        # Ann on the 4th: Ann on even days, Bob on odd ones.
        self.rotation = api.rotation("primary", [self.ann, self.bob])["id"]

    def remind(self, user: str, minutes: int) -> None:
        made = self.api.admin.post(
            f"/api/v1/users/{user}/reminders",
            json={"channel_id": self.channel, "before_minutes": minutes},
        )
        assert made.status_code == 201, made.text

    def sent(self) -> list[dict[str, Any]]:
        return [
            {**m["payload"]["data"], "who": m["who"]}
            for m in self.api.sql(
                "SELECT payload, payload->'data'->'user'->>'name' AS who FROM notify_messages"
                " WHERE event_type = 'shift.reminder' ORDER BY seq"
            )
        ]


def _berlin_nine(day: int, offset_hours: int = 1) -> datetime:
    return datetime(2026, 3, day, 9 - offset_hours, tzinfo=UTC)


async def test_a_reminder_comes_before_bobs_next_shift_and_only_once(
    api: Api, receiver: Receiver, pool: AsyncConnectionPool[Any]
) -> None:
    people = People(api, receiver)
    people.remind(people.bob, 60)
    assert await remind_due(pool) == 0  # Bob's shift in progress started already
    next_shift = _berlin_nine(3)
    api.clock.set(next_shift - HOUR - timedelta(seconds=1))
    assert await remind_due(pool) == 0
    api.clock.set(next_shift - HOUR)
    assert await remind_due(pool) == 1
    (sent,) = people.sent()
    assert sent["who"] == "Bob"
    assert datetime.fromisoformat(sent["shift_start"]) == next_shift
    assert datetime.fromisoformat(sent["shift_end"]) == next_shift + DAY
    assert sent["rotation"]["name"] == "primary" and sent["override_id"] is None
    api.sql("UPDATE notify_reminders SET next_check_at = '-infinity'")
    assert await remind_due(pool) == 0, "reminded twice"


async def test_a_covered_shift_is_not_reminded_and_its_cover_is(
    api: Api, receiver: Receiver, pool: AsyncConnectionPool[Any]
) -> None:
    people = People(api, receiver)
    people.remind(people.bob, 60)
    people.remind(people.cy, 120)
    assert await remind_due(pool) == 0
    bobs = _berlin_nine(3)
    covered = api.admin.post(
        f"/api/v1/rotations/{people.rotation}/overrides",
        json={"start": bobs.isoformat(), "end": (bobs + DAY).isoformat(), "user_id": people.cy},
    )
    assert covered.status_code == 201, covered.text
    api.clock.set(bobs - 2 * HOUR)
    assert await remind_due(pool) == 1  # Cy's cover, 2 hours before it
    api.clock.set(bobs - HOUR)
    assert await remind_due(pool) == 0  # Bob's shift is covered: no reminder for it
    assert [s["who"] for s in people.sent()] == ["Cy"]
    assert people.sent()[0]["override_id"] == covered.json()["id"]


async def test_a_shift_made_at_short_notice_is_reminded_at_once(
    api: Api, receiver: Receiver, pool: AsyncConnectionPool[Any]
) -> None:
    people = People(api, receiver)
    people.remind(people.cy, 120)
    assert await remind_due(pool) == 0  # Cy has no shift: next look in a day
    soon = T0 + 2 * HOUR + timedelta(minutes=30)
    api.clock.set(soon - timedelta(minutes=30))
    made = api.admin.post(
        f"/api/v1/rotations/{people.rotation}/overrides",
        json={"start": soon.isoformat(), "end": (soon + HOUR).isoformat(), "user_id": people.cy},
    )
    assert made.status_code == 201, made.text
    assert await remind_due(pool) == 1
    (sent,) = people.sent()
    assert sent["who"] == "Cy" and sent["override_id"] == made.json()["id"]
    assert datetime.fromisoformat(sent["shift_start"]) == soon


async def test_a_moved_shift_is_reminded_at_its_new_time(
    api: Api, receiver: Receiver, pool: AsyncConnectionPool[Any]
) -> None:
    people = People(api, receiver)
    people.remind(people.ann, 60)
    assert await remind_due(pool) == 0
    anns = _berlin_nine(4)
    # Ann's shift of the 4th moves: she covers the evening of the 3rd instead, nobody the 4th.
    for start, end, user in ((anns, anns + DAY, None), (anns - 12 * HOUR, anns, people.ann)):
        answer = api.admin.post(
            f"/api/v1/rotations/{people.rotation}/overrides",
            json={"start": start.isoformat(), "end": end.isoformat(), "user_id": user},
        )
        assert answer.status_code == 201, answer.text
    api.clock.set(anns - 13 * HOUR)
    assert await remind_due(pool) == 1
    (sent,) = people.sent()
    assert datetime.fromisoformat(sent["shift_start"]) == anns - 12 * HOUR
    api.clock.set(anns - HOUR)
    assert await remind_due(pool) == 0, "reminded at the moved shift's old time"


async def test_reminders_keep_the_wall_clock_across_dst(
    api: Api, receiver: Receiver, pool: AsyncConnectionPool[Any]
) -> None:
    people = People(api, receiver)
    people.remind(people.bob, 60)
    # Bob's shifts are the odd days of March; Berlin moves to CEST on Sunday the 29th, so his
    # shift starts at 09:00 CEST = 07:00 UTC that day, an hour earlier in UTC than before.
    dst_shift = _berlin_nine(29, offset_hours=2)
    api.clock.set(dst_shift - 2 * HOUR - timedelta(seconds=1))
    await remind_due(pool)
    before = len(people.sent())
    api.clock.set(dst_shift - HOUR - timedelta(seconds=1))
    assert await remind_due(pool) == 0
    api.clock.set(dst_shift - HOUR)
    assert await remind_due(pool) == 1
    last = people.sent()[before:]
    assert [datetime.fromisoformat(s["shift_start"]) for s in last] == [dst_shift]
