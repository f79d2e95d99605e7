"""The round-three start rule through the API and the engine (engine.md, api.md): a rotation
created before its `start` gives its first participant the time until `start` and the whole
first shift; the engine's catch-up, the projections and the preview agree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg import AsyncConnection

from handoff.store import state

from .conftest import Api

CREATED = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # Monday 02:30 in Berlin
START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
WEEK = timedelta(days=7)


def _z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _engine(api: Api, rotation_id: str) -> None:
    async def run() -> None:
        async with await AsyncConnection.connect(api.db_url) as conn:
            await state.write(conn, UUID(rotation_id), engine="queue")

    asyncio.run(run())


def _history(api: Api, rotation_id: str) -> list[tuple[str, datetime, str | None, str | None]]:
    rows = api.sql(
        "SELECT cause, boundary_at, from_user_name, to_user_name FROM handoffs"
        " WHERE rotation_id = %s ORDER BY boundary_at, id",
        rotation_id,
    )
    return [(r["cause"], r["boundary_at"], r["from_user_name"], r["to_user_name"]) for r in rows]


def _weekly(api: Api, participants: list[str]) -> dict[str, object]:
    rotation: dict[str, object] = api.rotation(
        "primary", participants, type="weekly", start="2026-12-07T09:00:00+01:00"
    )
    return rotation


def test_a_rotation_created_before_start_hands_off_after_the_first_full_shift(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    api.clock.set(CREATED)
    rotation = _weekly(api, [ann, bob])
    rid = str(rotation["id"])
    assert rotation["on_call_user_id"] == ann
    assert rotation["next_handoff"] == (START + WEEK).isoformat().replace("+00:00", "Z")
    shifts = api.reader.get(
        f"/api/v1/rotations/{rid}/shifts",
        params={"since": CREATED.isoformat(), "until": (START + 2 * WEEK).isoformat()},
    ).json()["items"]
    assert [(s["user_id"], s["end"]) for s in shifts] == [
        (ann, "2026-12-14T08:00:00Z"),
        (bob, "2026-12-21T08:00:00Z"),
    ]
    at = (START + timedelta(days=3)).isoformat()
    on_call = api.reader.get("/api/v1/oncall", params={"at": at}).json()["items"]
    assert [o["user_id"] for o in on_call] == [ann]
    # The engine, run a day after `start`, crosses nothing; a week after, the one boundary.
    api.clock.set(START + timedelta(days=1))
    _engine(api, rid)
    assert _history(api, rid) == [("started", CREATED, None, "Ann")]
    api.clock.set(START + 2 * WEEK + timedelta(hours=1))
    _engine(api, rid)
    assert _history(api, rid) == [
        ("started", CREATED, None, "Ann"),
        ("boundary", START + WEEK, "Ann", "Bob"),
        ("boundary", START + 2 * WEEK, "Bob", "Ann"),
    ]


def test_a_rotation_created_after_start_hands_off_at_the_next_boundary(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    api.clock.set(START + timedelta(hours=1))
    rid = str(_weekly(api, [ann, bob])["id"])
    api.clock.set(START + WEEK)
    _engine(api, rid)
    assert _history(api, rid)[1:] == [("boundary", START + WEEK, "Ann", "Bob")]


def _marker(api: Api, rotation_id: str) -> bool:
    rows = api.sql("SELECT first_shift FROM rotation_state WHERE rotation_id = %s", rotation_id)
    return bool(rows[0]["first_shift"])


def test_a_rotation_created_weeks_before_start_still_owns_the_first_full_shift(api: Api) -> None:
    """Created two weeks before `start`: the state records its first shift, and the engine
    crosses none of the grid's boundaries before `start` (the instants alone would say a
    boundary came first)."""
    ann, bob = api.user("Ann"), api.user("Bob")
    created = START - 2 * WEEK + timedelta(days=1)
    api.clock.set(created)
    rotation = _weekly(api, [ann, bob])
    rid = str(rotation["id"])
    assert _marker(api, rid)
    assert rotation["next_handoff"] == _z(START + WEEK)
    api.clock.set(START + timedelta(days=1))
    _engine(api, rid)
    assert _history(api, rid) == [("started", created, None, "Ann")]
    assert _marker(api, rid)
    api.clock.set(START + WEEK)
    _engine(api, rid)
    assert _history(api, rid)[1:] == [("boundary", START + WEEK, "Ann", "Bob")]
    assert not _marker(api, rid)


def test_a_grid_edit_moving_start_ahead_hands_off_at_end_time_of_the_edit(api: Api) -> None:
    """engine.md: a grid edit keeps the person on call, restarts the shift at the edit, and
    the next handoff is end_time(now) on the new grid, even with `start` in the future."""
    ann, bob = api.user("Ann"), api.user("Bob")
    api.clock.set(START + timedelta(days=1))
    rid = str(_weekly(api, [ann, bob])["id"])
    edited_at = START + timedelta(days=2, hours=3)  # Wednesday 12:00 Berlin
    thursday = START + timedelta(days=3)  # the new start, Thursday 09:00 Berlin
    api.clock.set(edited_at)
    moved = api.admin.patch(
        f"/api/v1/rotations/{rid}", json={"type": "daily", "start": "2026-12-10T09:00"}
    ).json()
    # Not the first shift's end_time(start) (Friday): the edit is no first shift.
    assert moved["next_handoff"] == _z(thursday)
    assert not _marker(api, rid)
    api.clock.set(thursday + timedelta(hours=1))
    _engine(api, rid)
    assert _history(api, rid)[1:] == [("boundary", thursday, "Ann", "Bob")]


def test_the_preview_is_what_a_rotation_created_now_does(api: Api) -> None:
    api.clock.set(CREATED)
    body = {
        "type": "weekly",
        "shift_length": 1,
        "start": "2026-12-07T09:00:00+01:00",
        "time_zone": "Europe/Berlin",
        "count": 2,
    }
    response = api.reader.post("/api/v1/rotations/preview", json=body)
    assert response.json()["handoffs"] == ["2026-12-14T08:00:00Z", "2026-12-21T08:00:00Z"]
    api.clock.set(START)
    response = api.reader.post("/api/v1/rotations/preview", json=body)
    assert response.json()["handoffs"] == ["2026-12-14T08:00:00Z", "2026-12-21T08:00:00Z"]
    # `from`: a rotation created then, by the same rule.
    early = api.reader.post("/api/v1/rotations/preview", json=body | {"from": _z(CREATED)})
    assert early.json()["handoffs"] == ["2026-12-14T08:00:00Z", "2026-12-21T08:00:00Z"]
    # Created more than a shift before start: the first participant still owns the time until
    # start and the whole first shift (engine.md), no handoff on the grid before start.
    before = body | {"from": "2026-11-20T12:00:00Z"}
    assert api.reader.post("/api/v1/rotations/preview", json=before).json()["handoffs"] == [
        "2026-12-14T08:00:00Z",
        "2026-12-21T08:00:00Z",
    ]


def test_start_is_a_wall_time_in_the_rotation_s_zone_or_an_instant(api: Api) -> None:
    """api.md: `start` without an offset is read in `time_zone` (in the rotation's own zone on
    PATCH when no new zone comes with it), as the CLI and the form read it."""
    winter = api.rotation("wall", type="weekly", start="2026-12-07T09:00")
    assert winter["start"] == "2026-12-07T08:00:00Z"  # Berlin, +01:00
    both = api.rotation("offset", type="weekly", start="2026-12-07T09:00:00+01:00")
    assert both["start"] == winter["start"]
    rid = winter["id"]
    summer = api.admin.patch(f"/api/v1/rotations/{rid}", json={"start": "2027-07-05T09:00"})
    assert summer.json()["start"] == "2027-07-05T07:00:00Z"  # Berlin, +02:00
    moved = api.admin.patch(
        f"/api/v1/rotations/{rid}", json={"start": "2027-07-05T09:00", "time_zone": "UTC"}
    )
    assert moved.json()["start"] == "2027-07-05T09:00:00Z"
    preview = api.reader.post(
        "/api/v1/rotations/preview",
        json={"type": "daily", "start": "2026-03-01T09:00", "time_zone": "Europe/Berlin",
              "count": 1},
    )  # fmt: skip
    assert preview.json()["handoffs"] == ["2026-03-03T08:00:00Z"]  # 09:00 Berlin after T0
    for bad in ("tomorrow", "2026-12-07", 1767772800):
        refused = api.admin.post(
            "/api/v1/rotations",
            json={"name": f"bad {bad}", "type": "daily", "start": bad, "time_zone": "UTC"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
