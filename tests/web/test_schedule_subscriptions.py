"""The schedule page's Notifications card (issue 22): a channel subscribed to a schedule's final
on-call changes and unsubscribed, as browsers post (cookies and CSRF token), through the store
the API uses; mistakes are shown by the field, and a reader sees the list without its forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from handoff.store import schedules

from .client import Browser
from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def _world(web: Web) -> tuple[UUID, UUID]:
    """A schedule of one rotation, and a channel written with plain SQL (nothing is sent)."""
    primary = web.rotation("Primary", "daily", START, "UTC", [web.user("Ann")])

    async def create(conn: Any) -> tuple[UUID, UUID]:
        draft = schedules.Draft("Payments", "Europe/Berlin", "priority", [primary.id])
        made = await schedules.create(conn, draft, now=web.clock.now())
        channel = await conn.execute(
            "INSERT INTO notify_channels (name, kind, target)"
            " VALUES ('ops', 'slack', 'https://x.y/z') RETURNING id"
        )
        return made.id, (await channel.fetchone())[0]

    found: tuple[UUID, UUID] = web.run(create)
    return found


def _subscriptions(web: Web, schedule_id: UUID) -> list[schedules.Subscription]:
    found: list[schedules.Subscription] = web.run(
        lambda c: schedules.list_subscriptions(c, schedule_id)
    )
    return found


def _post(browser: Browser, url: str, **data: str) -> Any:
    return browser.client.post(url, data={"csrf_token": browser.csrf, **data})


def test_a_schedule_subscribes_and_unsubscribes_a_channel(browser: Browser, web: Web) -> None:
    schedule_id, channel_id = _world(web)
    browser.sign_in(web.admin_token)
    page = f"/schedules/{schedule_id}"
    url = f"{page}/subscriptions"
    shown = browser.client.get(page).text
    assert f'action="{url}"' in shown and f'<option value="{channel_id}">ops (slack)' in shown
    assert "No channel is told about Payments" in shown
    none = _post(browser, url, channel_id="")
    assert none.status_code == 422
    assert 'id="error-channel_id" role="status">choose a channel<' in none.text
    assert f'<a href="/schedules">Schedules</a> / <a href="{page}">Payments</a>' in none.text
    missing = _post(browser, url, channel_id=str(uuid4()))
    assert missing.status_code == 409 and "no channel" in missing.text
    made = _post(browser, url, channel_id=str(channel_id))
    assert made.status_code == 303 and made.headers["location"] == f"{page}#subscriptions"
    [subscription] = _subscriptions(web, schedule_id)
    assert subscription.channel_id == channel_id
    twice = _post(browser, url, channel_id=str(channel_id))
    assert twice.status_code == 409 and "subscribed to that channel already" in twice.text
    shown = browser.client.get(page).text
    assert f'<a href="/notifications#channel-{channel_id}">ops</a>' in shown
    assert f'action="{url}/{subscription.id}/remove"' in shown
    removed = _post(browser, f"{url}/{subscription.id}/remove")
    assert removed.status_code == 303 and removed.headers["location"] == f"{page}#subscriptions"
    assert _subscriptions(web, schedule_id) == []
    assert _post(browser, f"{url}/{subscription.id}/remove").status_code == 404
    assert (
        _post(
            browser, f"/schedules/{uuid4()}/subscriptions", channel_id=str(channel_id)
        ).status_code
        == 404
    )


def test_a_reader_sees_a_schedules_channels_but_changes_none(browser: Browser, web: Web) -> None:
    schedule_id, channel_id = _world(web)
    web.run(lambda c: schedules.subscribe(c, schedule_id, channel_id))
    [subscription] = _subscriptions(web, schedule_id)
    browser.sign_in(web.reader_token)
    shown = browser.client.get(f"/schedules/{schedule_id}").text
    assert f'<a href="/notifications#channel-{channel_id}">ops</a>' in shown
    assert "Unsubscribe" not in shown and "Subscribe</button>" not in shown
    url = f"/schedules/{schedule_id}/subscriptions"
    assert _post(browser, url, channel_id=str(channel_id)).status_code == 403
    assert _post(browser, f"{url}/{subscription.id}/remove").status_code == 403
    assert _subscriptions(web, schedule_id) == [subscription]
