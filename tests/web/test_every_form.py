"""Every form answers with a redirect (post/redirect/get, issue 23 item 6): a successful post is
a 303 to a page, so a refresh repeats nothing. The walk posts each form of the UI once, and a
check against the app's own routes makes sure no form was left out. The live previews are not
forms (htmx swaps a fragment in as you type, and they change nothing)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi.routing import APIRoute

from handoff.store import accounts, passwords
from handoff.web import ROUTERS

from .client import Browser, csrf
from .conftest import Web
from .test_notifications_ui import receiver  # noqa: F401 (the local HTTP receiver fixture)

PASSWORD = "a long enough passphrase"
FRAGMENTS = {"/rotations/preview", "/rotations/{rotation_id}/changes/preview"}


def _web_posts() -> set[str]:
    """The path of every POST route of the UI (its routers, included routers followed)."""
    found: set[str] = set()
    pending: list[Any] = list(ROUTERS)
    while pending:
        router = pending.pop()
        for route in router.routes:
            if isinstance(route, APIRoute):
                found |= {route.path} if "POST" in route.methods else set()
            elif hasattr(route, "original_router"):
                pending.append(route.original_router)
    return found - FRAGMENTS


def _uuid_after(location: str, prefix: str) -> UUID:
    found = re.search(prefix + r"([0-9a-f-]{36})", location)
    assert found, location
    return UUID(found.group(1))


def test_every_form_answers_with_a_redirect(
    browser: Browser,
    web: Web,
    receiver: dict[str, Any],  # noqa: F811
    closed_port: int,
) -> None:
    walked: dict[str, str] = {}  # route path -> where the post redirected

    def post(route: str, url: str, **data: Any) -> str:
        response = browser.client.post(url, data={"csrf_token": browser.csrf, **data})
        assert response.status_code == 303, (url, response.status_code, response.text[:500])
        walked[route] = response.headers["location"]
        follow = response.headers["location"].split("#")[0]
        if follow != "/signin":
            assert browser.client.get(follow).status_code == 200, follow
        return str(response.headers["location"])

    signed = browser.sign_in(web.admin_token)
    assert signed.status_code == 303
    walked["/signin"] = signed.headers["location"]
    ann, bo = web.user("Ann"), web.user("Bo")
    post("/people", "/people", name="Cy", email="")
    cy = next(u for u, n in _names(web).items() if n == "Cy")
    post("/people/{user_id}/edit", f"/people/{cy}/edit", name="Cy Lee", email="cy@example.com",
         time_zone="Europe/Berlin", role="responder")  # fmt: skip
    made = post(
        "/rotations/new", "/rotations/new", with_participants="1", name="primary",
        description="", type="weekly", shift_length="1", start="2026-01-05T09:00",
        time_zone="Europe/Berlin", participant=[str(ann), str(bo)],
    )  # fmt: skip
    rid = _uuid_after(made, "/rotations/")
    r = f"/rotations/{rid}"
    post("/rotations/{rotation_id}/edit", f"{r}/edit", name="primary", description="edited",
         type="weekly", shift_length="1", start="2026-01-05T09:00",
         time_zone="Europe/Berlin")  # fmt: skip
    post("/rotations/{rotation_id}/participants", f"{r}/participants", user_id=str(cy))
    made = post("/schedules", "/schedules", name="Payments", time_zone="UTC", combine="priority",
                layer=[str(rid), ""])  # fmt: skip
    sched = f"/schedules/{_uuid_after(made, '/schedules/')}"
    post("/schedules/{schedule_id}/edit", f"{sched}/edit", name="Payments", description="edited",
         time_zone="Europe/Berlin")  # fmt: skip
    other = _uuid_after(post("/rotations/new", "/rotations/new", with_participants="1",
                             name="secondary", description="", type="weekly", shift_length="1",
                             start="2026-01-05T09:00", time_zone="UTC", participant=[str(bo)]),
                        "/rotations/")  # fmt: skip
    post("/schedules/{schedule_id}/layers", f"{sched}/layers", rotation_id=str(other))
    post("/schedules/{schedule_id}/layers/{rotation_id}/move", f"{sched}/layers/{other}/move",
         direction="up")  # fmt: skip
    post("/schedules/{schedule_id}/layers/{rotation_id}/remove",
         f"{sched}/layers/{other}/remove")  # fmt: skip
    post("/schedules/{schedule_id}/combine", f"{sched}/combine", combine="union")
    parts = _participants(web, rid)
    p = f"{r}/participants"
    post("/rotations/{rotation_id}/participants/{participant_id}/move",
         f"{p}/{parts[1]}/move", direction="down")  # fmt: skip
    post("/rotations/{rotation_id}/participants/{participant_id}/active", f"{p}/{parts[1]}/active")
    post("/rotations/{rotation_id}/participants/{participant_id}/remove", f"{p}/{parts[0]}/remove")

    now = web.clock.now().astimezone(UTC).replace(second=0, microsecond=0)

    def local(t: datetime) -> str:
        return t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")

    made = post("/rotations/{rotation_id}/overrides", f"{r}/overrides",
                start=local(now + timedelta(days=1)), end=local(now + timedelta(days=2)),
                user_id=str(bo), replaces_user_id="", note="")  # fmt: skip
    oid = _only(web, "SELECT id FROM overrides")
    post("/rotations/{rotation_id}/overrides/{override_id}/edit", f"{r}/overrides/{oid}/edit",
         start=local(now + timedelta(days=1)), end=local(now + timedelta(days=3)),
         user_id=str(bo), replaces_user_id="", note="longer")  # fmt: skip
    post("/rotations/{rotation_id}/overrides/{override_id}/delete", f"{r}/overrides/{oid}/delete")
    post("/schedules/{schedule_id}/overrides", f"{sched}/overrides",
         start=local(now + timedelta(days=1)), end=local(now + timedelta(days=2)),
         user_id="nobody", replaces_user_id="", note="")  # fmt: skip
    soid = _only(web, "SELECT id FROM schedule_overrides")
    post("/schedules/{schedule_id}/overrides/{override_id}/edit",
         f"{sched}/overrides/{soid}/edit", start=local(now + timedelta(days=1)),
         end=local(now + timedelta(days=3)), user_id="nobody", note="longer")  # fmt: skip
    post("/schedules/{schedule_id}/overrides/{override_id}/delete",
         f"{sched}/overrides/{soid}/delete")  # fmt: skip
    _channel(web, closed_port)
    ch = _only(web, "SELECT id FROM notify_channels")
    post("/schedules/{schedule_id}/subscriptions", f"{sched}/subscriptions", channel_id=str(ch))
    ssid = _only(web, "SELECT id FROM notify_schedule_subscriptions")
    post("/schedules/{schedule_id}/subscriptions/{subscription_id}/remove",
         f"{sched}/subscriptions/{ssid}/remove")  # fmt: skip
    post("/schedules/{schedule_id}/delete", f"{sched}/delete")
    post("/rotations/{rotation_id}/changes", f"{r}/changes",
         effective_at=local(now + timedelta(days=30)), type="daily")  # fmt: skip
    cid = _only(web, "SELECT id FROM scheduled_changes")
    post("/rotations/{rotation_id}/changes/{change_id}/edit", f"{r}/changes/{cid}/edit",
         effective_at=local(now + timedelta(days=31)), type="daily")  # fmt: skip
    post("/rotations/{rotation_id}/changes/{change_id}/delete", f"{r}/changes/{cid}/delete")
    post("/rotations/{rotation_id}/swaps", f"{r}/swaps", requester_id=str(bo), back=r, note="",
         start=local(now + timedelta(days=1)), end=local(now + timedelta(days=30)))  # fmt: skip
    swap = _only(web, "SELECT id FROM swaps")
    post("/swaps/{swap_id}/take", f"/swaps/{swap}/take", user_id=str(cy), back=r)
    post("/swaps/{swap_id}/cancel", f"/swaps/{swap}/cancel", back=f"/people/{bo}")

    c = f"/notifications/channels/{ch}"
    post("/notifications/channels/{channel_id}/{action}", f"{c}/disable")
    post("/rotations/{rotation_id}/subscriptions", f"{r}/subscriptions", channel_id=str(ch))
    sid = _only(web, "SELECT id FROM notify_subscriptions")
    post("/rotations/{rotation_id}/subscriptions/{subscription_id}/remove",
         f"{r}/subscriptions/{sid}/remove")  # fmt: skip
    post("/people/{user_id}/reminders", f"/people/{ann}/reminders", channel_id=str(ch),
         before_minutes="30")  # fmt: skip
    rem = _only(web, "SELECT id FROM notify_reminders")
    post("/people/{user_id}/reminders/{reminder_id}/remove",
         f"/people/{ann}/reminders/{rem}/remove")  # fmt: skip
    failed = _failed_message(web, ch)
    post("/notifications/deliveries/{delivery_id}/retry",
         f"/notifications/deliveries/{failed}/retry")  # fmt: skip
    post("/notifications/channels/{channel_id}/test", f"{c}/test")  # unreachable: said so
    post("/notifications/channels/{channel_id}/delete", f"{c}/delete")
    post("/notifications/channels", "/notifications/channels", name="ops", kind="webhook",
         target=receiver["url"] + "/hook")  # fmt: skip
    new = _only(web, "SELECT id FROM notify_channels")
    post("/notifications/channels/{channel_id}/test", f"/notifications/channels/{new}/test")
    assert receiver["paths"] == ["/hook"]

    post("/people/{user_id}/feed", f"/people/{ann}/feed")
    post("/people/{user_id}/feed/revoke", f"/people/{ann}/feed/revoke")
    job = _job(web, rid)
    post("/engine/jobs/{job_id}/{action}", f"/engine/jobs/{job}/cancel", state="todo")
    post("/rotations/{rotation_id}/delete", f"{r}/delete")
    post("/people/{user_id}/delete", f"/people/{cy}/delete")
    post("/signout", "/signout")

    async def may_sign_in(conn: Any) -> None:
        await conn.execute("UPDATE users SET email = 'bo@example.com' WHERE id = %s", (bo,))
        await accounts.set_role(conn, bo, "reader")
        await passwords.set_password(conn, bo, PASSWORD, now=web.clock.now())

    web.run(may_sign_in)
    browser.csrf = csrf(browser.client.get("/signin").text)
    post("/signin/password", "/signin/password", email="bo@example.com", password=PASSWORD)

    assert set(walked) == _web_posts()
    # Every form that changes something is in the audit log under its route, as the person or
    # token signed in (people.md), and so are signing in and out; a channel's test sends a
    # message straight to it and stores nothing.
    entries = _rows(web, "SELECT route, via, actor_name FROM audit_log WHERE via = 'web'")
    assert {e["actor_name"] for e in entries} == {"web-admin", "Bo"}
    unaudited = {"/notifications/channels/{channel_id}/test"}
    assert {e["route"] for e in entries} == {f"POST {r}" for r in set(walked) - unaudited}


def _names(web: Web) -> dict[UUID, str]:
    return {r["id"]: r["name"] for r in _rows(web, "SELECT id, name FROM users")}


def _participants(web: Web, rotation_id: UUID) -> list[UUID]:
    rows = _rows(
        web, "SELECT id FROM participants WHERE rotation_id = %s ORDER BY position", rotation_id
    )
    return [r["id"] for r in rows]


def _only(web: Web, query: str) -> UUID:
    [row] = _rows(web, query)
    return UUID(str(row["id"]))


def _rows(web: Web, query: str, *args: object) -> list[dict[str, Any]]:
    async def read(conn: Any) -> list[dict[str, Any]]:
        cur = await conn.execute(query, args)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]

    result: list[dict[str, Any]] = web.run(read)
    return result


def _channel(web: Web, closed_port: int) -> None:
    """A channel written with plain SQL (its target is never reached: the test send is refused
    and says so)."""

    async def insert(conn: Any) -> None:
        await conn.execute(
            "INSERT INTO notify_channels (name, kind, target, secret)"
            " VALUES ('hook', 'webhook', %s, '\\x00')",
            (f"http://127.0.0.1:{closed_port}/never",),
        )

    web.run(insert)


def _failed_message(web: Web, channel_id: UUID) -> UUID:
    async def insert(conn: Any) -> UUID:
        cur = await conn.execute(
            "INSERT INTO notify_messages (channel_id, event_type, event_at, payload, status,"
            " finished_at) VALUES (%s, 'channel.test', now(), %s, 'failed', now()) RETURNING id",
            (channel_id, json.dumps({})),
        )
        return UUID(str((await cur.fetchone())[0]))

    result: UUID = web.run(insert)
    return result


def _job(web: Web, rotation_id: UUID) -> int:
    async def enqueue(conn: Any) -> int:
        await conn.execute("DELETE FROM procrastinate_jobs")
        await conn.execute("SELECT handoff_enqueue_rotations(ARRAY[%s::uuid])", [rotation_id])
        cur = await conn.execute("SELECT id FROM procrastinate_jobs")
        return int((await cur.fetchone())[0])

    result: int = web.run(enqueue)
    return result
