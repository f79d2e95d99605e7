"""What a probe of the API with bad input and concurrent clients found (issue 10), each fixed:
a calendar feed that failed on a line feed, a 422 naming a parameter the client never sent,
refusals that named only the first bad field, and a rotation read in two statements that could
pair one moment's state with another moment's participants."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from icalendar import Calendar

from handoff.store import clock, rotations

from .conftest import Secured


def _rotation(secured: Secured, name: str, participants: list[str] | None = None) -> Any:
    body = {
        "name": name,
        "type": "daily",
        "start": "2026-03-02T09:00:00Z",
        "time_zone": "Europe/Berlin",
        "participants": participants or [],
    }
    with secured.admin as admin:
        created = admin.post("/api/v1/rotations", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def _user(secured: Secured, name: str) -> str:
    with secured.admin as admin:
        created = admin.post("/api/v1/users", json={"name": name})
    assert created.status_code == 201, created.text
    user_id: str = created.json()["id"]
    return user_id


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


def test_a_calendar_feed_survives_control_characters_written_by_sql(secured: Secured) -> None:
    tag = secrets.token_hex(3)
    person = _user(secured, f"feed person {tag}")
    rotation = _rotation(secured, f"feed {tag}", [person])
    secured.sql(
        "UPDATE rotations SET name = %s WHERE id = %s", f"two\nlines\r\x1b {tag}", rotation["id"]
    )
    secured.sql("UPDATE users SET name = %s WHERE id = %s", f"Ann\nLee {tag}", person)
    with secured.admin as admin:
        feed = admin.get(f"/api/v1/rotations/{rotation['id']}/calendar.ics")
    assert feed.status_code == 200, feed.text
    lines = feed.content.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line and b"\x1b" not in line for line in lines)
    parsed = Calendar.from_ical(feed.content)
    assert str(parsed["x-wr-calname"]) == f"two lines  {tag} on call"
    summaries = [str(e["summary"]) for e in parsed.walk("VEVENT")]
    assert summaries and summaries[0] == f"Ann Lee {tag} on call (two lines  {tag})"


def test_oncall_at_the_end_of_time_names_at(secured: Secured) -> None:
    with secured.admin as admin:
        response = admin.get("/api/v1/oncall", params={"at": "9000-01-01T00:00:00Z"})
    assert _fields(response) == {"at"}


def test_a_refusal_names_every_field_at_fault(secured: Secured) -> None:
    before = secured.counts()
    body = {
        "name": "bad\x1b[31m",
        "description": "bell\x07",
        "type": "yearly",
        "start": "2026-03-02T09:00:00Z",
        "time_zone": "localtime",
    }
    with secured.admin as admin:
        created = admin.post("/api/v1/rotations", json=body)
        queried = admin.get("/api/v1/oncall", params={"at": "tomorrow", "rotation": "x"})
        stray = admin.post("/api/v1/users", params={"fields": "all"}, json={"name": "", "x": 1})
        previewed = admin.post(
            "/api/v1/rotations/preview",
            json={"type": "daily", "start": "2026-03-02T09:00", "time_zone": "Factory", "count": 0},
        )
    assert _fields(created) == {"name", "description", "type", "time_zone"}
    assert _fields(queried) == {"at", "rotation"}
    assert _fields(stray) == {"fields", "name", "x"}
    # A start without an offset is a wall time in the rotation's zone (api.md): the zone is at
    # fault, not the start.
    assert _fields(previewed) == {"time_zone", "count"}
    messages = [e["message"] for e in created.json()["errors"]]
    assert not any(m.startswith("Value error") for m in messages), messages
    assert secured.counts() == before


class _Interleaved(psycopg.AsyncCursor[Any]):
    """A cursor that lets a concurrent writer commit right after each statement it runs, so a
    read that takes two statements sees the world change between them."""

    between: ClassVar[Callable[[], Awaitable[None]] | None] = None

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().execute(*args, **kwargs)
        between, _Interleaved.between = _Interleaved.between, None
        if between is not None:
            await between()
        return result


async def test_a_rotation_is_read_from_one_snapshot(secured: Secured) -> None:
    tag = secrets.token_hex(3)
    first = [_user(secured, f"snap {tag} {i}") for i in range(2)]
    later = [_user(secured, f"snap {tag} later {i}") for i in range(3)]
    rotation = _rotation(secured, f"snapshot {tag}", first)

    async def replace_participants() -> None:
        with secured.admin as admin:
            patched = admin.patch(
                f"/api/v1/rotations/{rotation['id']}", json={"participants": later}
            )
        assert patched.status_code == 200, patched.text

    async with await psycopg.AsyncConnection.connect(
        secured.url, autocommit=True, cursor_factory=_Interleaved
    ) as conn:
        now = await clock.read(conn)
        _Interleaved.between = replace_participants
        seen = await rotations.get(conn, UUID(rotation["id"]), now=now)
    assert _Interleaved.between is None, "the concurrent edit did not run"
    members = {p.user_id for p in seen.participants}
    assert seen.on_call_user_id is not None and seen.on_call_user_id in members
    assert members in ({UUID(u) for u in first}, {UUID(u) for u in later})
