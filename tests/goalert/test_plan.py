"""The pure plan: outcomes that the database tests do not reach."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from handoff.goalert import model
from handoff.goalert.plan import plan
from handoff.store.goalert import Existing, Person

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)


def _rotation(*emails: str) -> tuple[model.Rotation, dict[Any, model.User]]:
    users = {u.id: u for u in (model.User(uuid4(), f"P{i}", e) for i, e in enumerate(emails))}
    participants = tuple(model.Participant(uuid4(), uid) for uid in users)
    rot = model.Rotation(
        id=uuid4(),
        name="ops",
        description="",
        type="daily",
        shift_length=1,
        start=datetime(2026, 1, 1, 9, 0, 30, tzinfo=UTC),
        time_zone="UTC",
        participants=participants,
        state=model.State(0, participants[0].id, datetime(2026, 6, 10, 9, tzinfo=UTC), 2),
    )
    return rot, users


def _existing(**changes: object) -> Existing:
    fields: dict[str, object] = {
        "imported": {},
        "rotations": frozenset(),
        "names": {},
        "imported_users": {},
        "users": frozenset(),
    }
    fields.update(changes)
    return Existing(**fields)  # type: ignore[arg-type]


def test_goalerts_id_on_a_rotation_created_in_handoff_is_a_conflict() -> None:
    rot, users = _rotation("a@example.com")
    item = plan([rot], users, _existing(rotations=frozenset({rot.id})), NOW, 10).items[0]
    assert item.outcome == "conflict" and "has GoAlert's id" in (item.message or "")


def test_start_is_truncated_to_the_minute_and_emails_handoff_cannot_hold_are_none() -> None:
    rot, users = _rotation("a@example.com", "", "not-an-address")
    item = plan([rot], users, _existing(), NOW, 10).items[0]
    assert item.outcome == "created"
    assert item.config is not None and item.config.start == datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert [u.email for u in item.users] == ["a@example.com", None, None]
    assert item.next_handoff == datetime(2026, 6, 11, 9, tzinfo=UTC)
    assert item.difference is None and item.stale_boundaries == 0


def test_an_imported_rotation_is_unchanged_until_goalerts_rows_change() -> None:
    rot, users = _rotation("a@example.com")
    existing = _existing(imported={rot.id: rot.source()}, rotations=frozenset({rot.id}))
    assert plan([rot], users, existing, NOW, 10).items[0].outcome == "unchanged"
    described = replace(rot, description="the ops rotation")
    assert plan([described], users, existing, NOW, 10).items[0].outcome == "updated"


def test_a_new_goalert_user_with_a_handoff_persons_email_is_that_person() -> None:
    rot, users = _rotation("A@Example.com", "b@example.com")
    ann = Person(uuid4(), "Ann in handoff")
    item = plan([rot], users, _existing(by_email={"a@example.com": ann}), NOW, 10).items[0]
    matched, created = item.users
    assert (matched.action, matched.handoff_id, matched.name) == ("match", ann.id, ann.name)
    assert matched.goalert_name == "P0" and matched.email == "A@Example.com"
    assert (created.action, created.handoff_id) == ("create", created.id)
    known = _existing(by_email={"a@example.com": ann}, users=frozenset({matched.id}))
    kept = plan([rot], users, known, NOW, 10).items[0].users[0]
    assert (kept.action, kept.handoff_id) == ("keep", kept.id)  # already imported under its id
