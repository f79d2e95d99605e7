"""/api/v1/rotations/{id}/swaps and /api/v1/swaps (people.md, "Swaps"): each rule, every
refusal as problem+json, the race of two takers, the outbox rows, and the sweep's expiry."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import procrastinate
import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from handoff.engine.sweep import Sweep
from handoff.store import tokens
from handoff.store.db import connect

from .conftest import T0, Api
from .test_overrides import _problem, _z, set_now

H = timedelta(hours=1)


@pytest.fixture
def oc(api: Api) -> Api:
    """The API with both clocks at T0."""
    set_now(api, T0)
    return api


class Team:
    """Ann, Bob and Cy, responders, with their own tokens; Ann and Bob (and Cy when asked)
    take turns in a daily rotation."""

    def __init__(self, api: Api, *, with_cy: bool = False) -> None:
        self.api = api
        self.ann, self.bob, self.cy = api.user("Ann"), api.user("Bob"), api.user("Cy")
        self.as_ = {}
        for user in (self.ann, self.bob, self.cy):
            api.admin.patch(f"/api/v1/users/{user}", json={"role": "responder"})
            self.as_[user] = {"Authorization": f"Bearer {_token(api, user)}"}
        people = [self.ann, self.bob] + ([self.cy] if with_cy else [])
        self.rotation = api.rotation("primary", people)
        self.base = f"/api/v1/rotations/{self.rotation['id']}"

    def shift_of(self, user: str) -> tuple[datetime, datetime]:
        """The user's first own shift that starts in the future."""
        found = self.api.reader.get(
            f"{self.base}/shifts", params={"since": _z(T0), "until": _z(T0 + 7 * 24 * H)}
        ).json()["items"]
        for s in found:
            start = datetime.fromisoformat(s["start"])
            if s["user_id"] == user and start > T0:
                return start, datetime.fromisoformat(s["end"])
        raise AssertionError(f"no future shift of {user}")

    def ask(self, user: str, start: datetime, end: datetime, **more: Any) -> Any:
        body = {"start": _z(start), "end": _z(end)} | more
        return self.api.anonymous.post(f"{self.base}/swaps", json=body, headers=self.as_[user])

    def take(self, user: str, swap_id: str) -> Any:
        return self.api.anonymous.post(
            f"/api/v1/swaps/{swap_id}/take", json={}, headers=self.as_[user]
        )

    def cancel(self, user: str, swap_id: str) -> Any:
        return self.api.anonymous.delete(f"/api/v1/swaps/{swap_id}", headers=self.as_[user])


def _token(api: Api, user_id: str) -> str:
    async def make() -> str:
        async with await AsyncConnection.connect(api.db_url, autocommit=True) as conn:
            _, secret = await tokens.create(
                conn, f"own {user_id}", None, now=T0, user_id=UUID(user_id)
            )
            return secret

    return asyncio.run(make())


def _subscribed_channel(api: Api, rotation_id: str) -> str:
    channel = {"name": "team", "kind": "webhook", "target": "http://127.0.0.1:9/team"}
    made = api.admin.post("/api/v1/channels", json=channel)
    assert made.status_code == 201, made.text
    channel_id: str = made.json()["id"]
    subscribed = api.admin.post(
        f"/api/v1/rotations/{rotation_id}/subscriptions", json={"channel_id": channel_id}
    )
    assert subscribed.status_code == 201, subscribed.text
    return channel_id


def test_a_responder_asks_for_cover_and_another_takes_it_as_an_override(
    oc: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    team = Team(oc)
    team_channel = _subscribed_channel(oc, team.rotation["id"])
    start, _ = team.shift_of(team.ann)
    asked = team.ask(team.ann, start, start + 2 * H, note="dentist")
    assert asked.status_code == 201, asked.text
    swap = asked.json()
    assert (swap["status"], swap["requester_id"], swap["note"]) == ("open", team.ann, "dentist")
    assert swap["taker_id"] is None and swap["override_id"] is None
    taken = team.take(team.bob, swap["id"])
    assert taken.status_code == 200, taken.text
    swap = taken.json()
    assert (swap["status"], swap["taker_id"], swap["taker_name"]) == ("taken", team.bob, "Bob")
    override = oc.reader.get(f"{team.base}/overrides/{swap['override_id']}").json()
    assert (override["user_id"], override["replaces_user_id"]) == (team.bob, team.ann)
    assert (override["start"], override["end"]) == (_z(start), _z(start + 2 * H))
    during = oc.reader.get("/api/v1/oncall", params={"at": _z(start + H)}).json()
    assert [i["user_id"] for i in during["items"]] == [team.bob], during
    rows = oc.sql("SELECT channel_id, event_type, payload FROM notify_messages ORDER BY seq")
    assert [(str(r["channel_id"]), r["event_type"]) for r in rows] == [
        (team_channel, "swap.requested"),
        (team_channel, "swap.taken"),
    ]
    data = rows[1]["payload"]["data"]
    assert data["taker"]["name"] == "Bob" and data["requester"]["name"] == "Ann"
    assert data["swap"]["override_id"] == swap["override_id"]
    listed = oc.reader.get("/api/v1/swaps", params={"user_id": team.bob}).json()["items"]
    assert [s["id"] for s in listed] == [swap["id"]]


def test_the_requester_hears_on_their_reminder_channels_when_taken(
    oc: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    team = Team(oc)
    channel = {"name": "ann", "kind": "webhook", "target": "http://127.0.0.1:9/ann"}
    mine = oc.admin.post("/api/v1/channels", json=channel).json()["id"]
    remind = {"channel_id": mine, "before_minutes": 30}
    assert oc.admin.post(f"/api/v1/users/{team.ann}/reminders", json=remind).status_code == 201
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    assert team.take(team.bob, swap["id"]).status_code == 200
    sent = oc.sql("SELECT event_type FROM notify_messages WHERE channel_id = %s", mine)
    assert [r["event_type"] for r in sent] == ["swap.taken"]


def test_a_request_must_hold_the_requesters_own_future_shift(oc: Api) -> None:
    team = Team(oc)
    ann_start, _ = team.shift_of(team.ann)
    bob_start, _ = team.shift_of(team.bob)
    not_hers = team.ask(team.ann, bob_start, bob_start + H)
    assert "not on call" in _problem(not_hers, 422)["detail"]
    past = team.ask(team.ann, T0 - 2 * H, T0 - H)
    assert _problem(past, 422)["errors"][0]["field"] == "start"
    backwards = team.ask(team.ann, ann_start + H, ann_start)
    assert _problem(backwards, 422)["errors"][0]["field"] == "end"
    for_bob = team.ask(team.ann, bob_start, bob_start + H, requester_id=team.bob)
    _problem(for_bob, 403)
    reader = oc.reader.post(
        f"{team.base}/swaps", json={"start": _z(ann_start), "end": _z(ann_start + H)}
    )
    _problem(reader, 403)
    service = oc.admin.post(
        f"{team.base}/swaps", json={"start": _z(ann_start), "end": _z(ann_start + H)}
    )
    assert _problem(service, 422)["errors"][0]["field"] == "requester_id"
    by_admin = oc.admin.post(
        f"{team.base}/swaps",
        json={"start": _z(bob_start), "end": _z(bob_start + H), "requester_id": team.bob},
    )
    assert by_admin.status_code == 201 and by_admin.json()["requester_id"] == team.bob
    assert oc.sql("SELECT count(*) AS n FROM swaps")[0]["n"] == 1


def test_only_another_participant_takes_an_open_swap(oc: Api) -> None:
    team = Team(oc)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    assert "own swap" in _problem(team.take(team.ann, swap["id"]), 422)["detail"]
    assert "participant" in _problem(team.take(team.cy, swap["id"]), 422)["detail"]
    assert team.take(team.bob, swap["id"]).status_code == 200
    assert "taken" in _problem(team.take(team.bob, swap["id"]), 409)["detail"]
    _problem(oc.reader.post(f"/api/v1/swaps/{swap['id']}/take", json={}), 403)
    by_admin = oc.admin.post(f"/api/v1/swaps/{swap['id']}/take", json={"user_id": team.ann})
    _problem(by_admin, 409)
    service = oc.admin.post(f"/api/v1/swaps/{swap['id']}/take", json={})
    assert _problem(service, 422)["errors"][0]["field"] == "user_id"


def test_a_take_whose_override_would_overlap_another_is_409_and_changes_nothing(
    oc: Api,
) -> None:
    team = Team(oc)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + 2 * H).json()
    cover = {"start": _z(start + H), "end": _z(start + 3 * H), "user_id": team.bob}
    assert oc.admin.post(f"{team.base}/overrides", json=cover).status_code == 201
    assert "overlaps" in _problem(team.take(team.bob, swap["id"]), 409)["detail"]
    again = oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()
    assert (again["status"], again["taker_id"]) == ("open", None)
    assert oc.sql("SELECT count(*) AS n FROM overrides")[0]["n"] == 1


def test_two_takers_at_once_one_wins(oc: Api) -> None:
    team = Team(oc, with_cy=True)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    gate = threading.Barrier(2)
    codes: dict[str, int] = {}
    details: list[str] = []

    def take(user: str) -> None:
        gate.wait()
        answer = team.take(user, swap["id"])
        codes[user] = answer.status_code
        details.extend([answer.json()["detail"]] if answer.status_code == 409 else [])

    # Both takes wait behind the rotation's lock, held here, so they truly overlap.
    with connect(oc.db_url) as holder:
        holder.execute("SELECT 1 FROM rotations WHERE id = %s FOR UPDATE", (team.rotation["id"],))
        racers = [threading.Thread(target=take, args=(u,)) for u in (team.bob, team.cy)]
        for t in racers:
            t.start()
        deadline = time.monotonic() + 30
        while _waiting_on_locks(oc) < 2:
            assert time.monotonic() < deadline, "the two takes never queued on the lock"
            time.sleep(0.02)
        holder.commit()
    for t in racers:
        t.join()
    assert sorted(codes.values()) == [200, 409], codes
    # the loser saw the swap taken (read under the rotation's lock), not merely an overlap
    assert details == ["the swap is taken: only an open swap can be taken"]
    winner = next(u for u, code in codes.items() if code == 200)
    made = oc.sql("SELECT user_id FROM overrides")
    assert [str(r["user_id"]) for r in made] == [winner]
    assert oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()["taker_id"] == winner


def _waiting_on_locks(api: Api) -> int:
    rows = api.sql(
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return int(rows[0]["n"])


def test_cancel_open_taken_and_started(oc: Api) -> None:
    team = Team(oc)
    start, _ = team.shift_of(team.ann)
    open_one = team.ask(team.ann, start, start + H).json()
    _problem(team.cancel(team.bob, open_one["id"]), 403)
    cancelled = team.cancel(team.ann, open_one["id"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert "cancelled already" in _problem(team.cancel(team.ann, open_one["id"]), 409)["detail"]

    taken = team.ask(team.ann, start, start + H).json()
    override_id = team.take(team.bob, taken["id"]).json()["override_id"]
    assert team.cancel(team.ann, taken["id"]).json()["status"] == "cancelled"
    assert oc.reader.get(f"{team.base}/overrides/{override_id}").status_code == 404

    started = team.ask(team.ann, start, start + 2 * H).json()
    team.take(team.bob, started["id"])
    set_now(oc, start + H)
    assert "started" in _problem(team.cancel(team.ann, started["id"]), 409)["detail"]
    assert oc.sql("SELECT count(*) AS n FROM overrides")[0]["n"] == 1
    # an admin may cancel anyone's swap, an unknown one is 404
    _problem(oc.admin.delete("/api/v1/swaps/00000000-0000-4000-8000-000000000000"), 404)


def test_an_open_request_past_its_start_is_expired_at_once_and_recorded_by_the_sweep(
    oc: Api,
) -> None:
    team = Team(oc)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    set_now(oc, start)
    shown = oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()
    assert shown["status"] == "expired"
    assert oc.sql("SELECT status FROM swaps")[0]["status"] == "open"
    expired = oc.reader.get("/api/v1/swaps", params={"status": "expired"}).json()["items"]
    assert [s["id"] for s in expired] == [swap["id"]]
    assert oc.reader.get("/api/v1/swaps", params={"status": "open"}).json()["items"] == []
    assert "expired" in _problem(team.take(team.bob, swap["id"]), 409)["detail"]
    _problem(oc.reader.get("/api/v1/swaps", params={"status": "lost"}), 422)

    async def sweep() -> int:
        async with AsyncConnectionPool(oc.db_url, min_size=1, max_size=2) as pool:
            app = procrastinate.App(connector=procrastinate.PsycopgConnector())
            return await Sweep(pool, app).expire_swaps()

    assert asyncio.run(sweep()) == 1
    assert oc.sql("SELECT status FROM swaps")[0]["status"] == "expired"
    assert asyncio.run(sweep()) == 0


def test_deleting_the_taker_before_the_cover_opens_the_request_again(
    oc: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The taker is deleted before their cover begins: their override goes with their other
    future ones and the request is open again (told again to the rotation's channels), so
    another participant may take it; deleting the requester takes their swaps with them."""
    monkeypatch.setenv("HANDOFF_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    team = Team(oc)
    channel = _subscribed_channel(oc, team.rotation["id"])
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    assert team.take(team.bob, swap["id"]).status_code == 200
    assert oc.admin.delete(f"/api/v1/users/{team.bob}").status_code == 204
    after = oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()
    assert (after["status"], after["taker_id"], after["override_id"]) == ("open", None, None)
    assert oc.sql("SELECT count(*) AS n FROM overrides")[0]["n"] == 0
    rows = oc.sql("SELECT channel_id, event_type FROM notify_messages ORDER BY seq")
    assert [(str(r["channel_id"]), r["event_type"]) for r in rows] == [
        (channel, "swap.requested"),
        (channel, "swap.taken"),
        (channel, "swap.requested"),
    ]
    [entry] = oc.sql(
        "SELECT before ->> 'status' AS was, after ->> 'status' AS now, route FROM audit_log"
        " WHERE action = 'swap.update' AND after ->> 'status' = 'open'"
    )
    assert entry == {"was": "taken", "now": "open", "route": "DELETE /api/v1/users/{user_id}"}
    oc.admin.post(f"{team.base}/participants", json={"user_id": team.cy})
    taken = team.take(team.cy, swap["id"])
    assert (taken.status_code, taken.json()["taker_id"]) == (200, team.cy), taken.text
    assert oc.admin.delete(f"/api/v1/users/{team.ann}").status_code == 204
    _problem(oc.reader.get(f"/api/v1/swaps/{swap['id']}"), 404)
    assert oc.reader.get("/api/v1/swaps").json()["items"] == []


def test_deleting_a_taker_who_has_left_the_rotation_still_opens_their_swap(oc: Api) -> None:
    """The swap's override was deleted by hand and the taker left the rotation since: the
    rotation is still visited when the taker is deleted, so the swap does not stay taken."""
    team = Team(oc)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    override_id = team.take(team.bob, swap["id"]).json()["override_id"]
    assert oc.admin.delete(f"{team.base}/overrides/{override_id}").status_code == 204
    [bob] = [p for p in team.rotation["participants"] if p["user_id"] == team.bob]
    assert oc.admin.delete(f"{team.base}/participants/{bob['id']}").status_code == 204
    assert oc.admin.delete(f"/api/v1/users/{team.bob}").status_code == 204
    after = oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()
    assert (after["status"], after["taker_id"]) == ("open", None)


def test_deleting_the_taker_cancels_a_request_left_with_nothing_to_cover(oc: Api) -> None:
    """The taker leaves and the removal rule moves the requester's shifts: the request no longer
    holds any of their own time, so it is cancelled rather than offered again."""
    team = Team(oc, with_cy=True)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + H).json()
    assert team.take(team.bob, swap["id"]).status_code == 200
    assert oc.admin.delete(f"/api/v1/users/{team.bob}").status_code == 204
    after = oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()
    shifts = oc.reader.get(
        f"{team.base}/shifts", params={"since": _z(start), "until": _z(start + H)}
    ).json()["items"]
    assert [s["user_id"] for s in shifts] == [team.cy], shifts
    assert (after["status"], after["override_id"]) == ("cancelled", None)


def test_deleting_the_taker_during_the_cover_keeps_the_swap_taken(oc: Api) -> None:
    """A cover that has begun is history: its override ends at the deletion (the requester is
    on call again for the rest) and the swap stays taken."""
    team = Team(oc)
    start, _ = team.shift_of(team.ann)
    swap = team.ask(team.ann, start, start + 2 * H).json()
    override_id = team.take(team.bob, swap["id"]).json()["override_id"]
    set_now(oc, start + H)
    assert oc.admin.delete(f"/api/v1/users/{team.bob}").status_code == 204
    after = oc.reader.get(f"/api/v1/swaps/{swap['id']}").json()
    assert (after["status"], after["taker_id"], after["override_id"]) == (
        "taken",
        None,
        override_id,
    )
    ended = oc.reader.get(f"{team.base}/overrides/{override_id}").json()
    assert ended["end"] == _z(start + H)
