"""The schedule page's forms, posted as a browser posts them (cookies and CSRF token): its
name, description and time zone edited, layers added, moved and removed, the combine changed,
and schedule overrides added, edited and deleted, each through the store the API uses (the
history and the audit log show it) and each refusal shown on the page as the other forms show
theirs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from handoff.store import schedules

from .client import Browser
from .conftest import Web

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
ZONE = "Europe/Berlin"


@pytest.fixture
def made(web: Web, browser: Browser) -> dict[str, Any]:
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    primary = web.rotation("Primary", "daily", START, "UTC", [ann])
    secondary = web.rotation("Secondary", "weekly", START, "UTC", [bo])
    spare = web.rotation("Spare", "weekly", START, "UTC", [cy])

    async def create(conn: Any) -> schedules.Schedule:
        draft = schedules.Draft("Payments", ZONE, "priority", [primary.id, secondary.id])
        return await schedules.create(conn, draft, now=web.clock.now())

    s = web.run(create)
    assert browser.sign_in(web.admin_token).status_code == 303
    return {"s": s, "ann": ann, "bo": bo, "cy": cy, "primary": primary.id,
            "secondary": secondary.id, "spare": spare.id}  # fmt: skip


def _read(web: Web, schedule_id: UUID) -> schedules.Schedule:
    async def read(conn: Any) -> schedules.Schedule:
        return await schedules.get(conn, schedule_id, now=web.clock.now())

    found: schedules.Schedule = web.run(read)
    return found


def _causes(web: Web, schedule_id: UUID) -> list[str]:
    async def read(conn: Any) -> list[str]:
        return [h.cause for h in (await schedules.history(conn, schedule_id, limit=50)).items]

    found: list[str] = web.run(read)
    return found


def _post(browser: Browser, url: str, **data: Any) -> Any:
    return browser.client.post(url, data={"csrf_token": browser.csrf, **data})


def _layers(web: Web, schedule_id: UUID) -> list[UUID]:
    return [layer.rotation_id for layer in _read(web, schedule_id).layers]


def _audited(web: Web, schedule_id: UUID) -> list[dict[str, Any]]:
    async def read(conn: Any) -> list[dict[str, Any]]:
        cur = await conn.execute(
            "SELECT action, route, via, actor_name, before, after FROM audit_log"
            " WHERE object_id = %s::text AND action = 'schedule.update' ORDER BY id",
            (str(schedule_id),),
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]

    found: list[dict[str, Any]] = web.run(read)
    return found


def test_name_description_and_zone_edited_and_audited(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    s, base = made["s"], f"/schedules/{made['s'].id}"
    assert f'href="{base}/edit">Edit</a>' in browser.client.get(base).text
    form = browser.client.get(f"{base}/edit")
    assert form.status_code == 200
    assert f'action="{base}/edit"' in form.text and 'value="Europe/Berlin"' in form.text
    causes = _causes(web, s.id)
    saved = _post(browser, f"{base}/edit", name="  Payments EU ", description="Card payments",
                  time_zone="Asia/Singapore")  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == base
    found = _read(web, s.id)
    assert (found.name, found.description, found.time_zone) == (
        "Payments EU", "Card payments", "Asia/Singapore"
    )  # fmt: skip
    assert _layers(web, s.id) == [made["primary"], made["secondary"]]
    assert found.combine == "priority" and _causes(web, s.id) == causes  # nobody else on call
    page = browser.client.get(base).text
    assert "Saved." in page and "<h1>Payments EU</h1>" in page
    assert '<p class="description">Card payments</p>' in page and "· Asia/Singapore ·" in page
    # Audited as the API's PATCH is: the same action, before and after, the form's route.
    [entry] = _audited(web, s.id)
    assert (entry["route"], entry["via"], entry["actor_name"]) == (
        "POST /schedules/{schedule_id}/edit", "web", "web-admin"
    )  # fmt: skip
    assert (entry["before"]["name"], entry["after"]["name"]) == ("Payments", "Payments EU")
    assert entry["after"]["time_zone"] == "Asia/Singapore"


def test_a_refused_edit_shows_each_message_and_changes_nothing(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    s, base = made["s"], f"/schedules/{made['s'].id}"

    async def other(conn: Any) -> None:
        draft = schedules.Draft("Storage", "UTC", "union", [made["spare"]])
        await schedules.create(conn, draft, now=web.clock.now())

    web.run(other)
    bad = _post(browser, f"{base}/edit", name=" ", description="x" * 2001,
                time_zone="Mars/Olympus")  # fmt: skip
    assert bad.status_code == 422
    errors = dict(re.findall(r'id="error-(\w+)" role="status">([^<]*)<', bad.text))
    assert errors["name"] and errors["description"] and "Mars/Olympus" in errors["time_zone"]
    assert 'value="Mars/Olympus"' in bad.text  # the form keeps what was typed
    taken = _post(browser, f"{base}/edit", name="Storage", description="",
                  time_zone="UTC")  # fmt: skip
    assert taken.status_code == 409
    assert "already exists" in taken.text.split('id="error-name"')[1].split("<")[0]
    found = _read(web, s.id)
    assert (found.name, found.description, found.time_zone) == ("Payments", "", ZONE)
    assert _audited(web, s.id) == []
    reader = Browser(web)
    assert reader.sign_in(web.reader_token).status_code == 303
    assert f'href="{base}/edit"' not in reader.client.get(base).text
    assert reader.client.get(f"{base}/edit").status_code == 403
    refused = _post(reader, f"{base}/edit", name="Mine", description="", time_zone="UTC")
    assert refused.status_code == 403
    reader.client.close()
    assert _read(web, s.id).name == "Payments"


def test_layers_added_moved_removed_and_combine_changed(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    s, base = made["s"], f"/schedules/{made['s'].id}"
    page = browser.client.get(base).text
    assert 'aria-label="Move Primary down"' in page
    assert f'<option value="{made["spare"]}">Spare</option>' in page
    assert f'<option value="{made["primary"]}">' not in page.split("Rotation to add")[1]
    added = _post(browser, f"{base}/layers", rotation_id=str(made["spare"]))
    assert added.status_code == 303, added.text[:300]
    assert _layers(web, s.id) == [made["primary"], made["secondary"], made["spare"]]
    moved = _post(browser, f"{base}/layers/{made['secondary']}/move", direction="up")
    assert moved.status_code == 303
    assert _layers(web, s.id) == [made["secondary"], made["primary"], made["spare"]]
    # Bo (secondary) is now the top layer with someone: recorded at the request.
    assert _read(web, s.id).on_call_user_ids == [made["bo"]]
    assert _causes(web, s.id)[0] == "layers_changed"
    _post(browser, f"{base}/layers/{made['spare']}/move", direction="down")  # at the bottom
    assert _layers(web, s.id) == [made["secondary"], made["primary"], made["spare"]]
    removed = _post(browser, f"{base}/layers/{made['secondary']}/remove")
    assert removed.status_code == 303
    assert _layers(web, s.id) == [made["primary"], made["spare"]]
    union = _post(browser, f"{base}/combine", combine="union")
    assert union.status_code == 303
    assert _read(web, s.id).combine == "union"
    assert set(_read(web, s.id).on_call_user_ids) == {made["ann"], made["cy"]}
    assert "Saved how the layers combine." in browser.client.get(base).text


def test_refused_layer_edits_show_the_stores_message(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    base = f"/schedules/{made['s'].id}"
    twice = _post(browser, f"{base}/layers", rotation_id=str(made["primary"]))
    assert twice.status_code == 422
    assert 'id="layers-error"' in twice.text
    gone = _post(browser, f"{base}/layers/{made['spare']}/remove")
    assert gone.status_code == 422
    assert "is not a layer of this schedule" in gone.text
    bad = _post(browser, f"{base}/combine", combine="loudest")
    assert bad.status_code == 422
    assert "Combine: must be one of" in bad.text.split('id="layers-error"')[1].split("</p>")[0]
    picked = _post(browser, f"{base}/layers", rotation_id="")
    assert picked.status_code == 422
    assert "choose a rotation from the list" in picked.text
    assert _layers(web, made["s"].id) == [made["primary"], made["secondary"]]


def test_forms_need_the_csrf_token_and_an_admin(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    base = f"/schedules/{made['s'].id}"
    forged = browser.client.post(f"{base}/combine", data={"combine": "union"})
    assert forged.status_code == 403
    reader = Browser(web)
    assert reader.sign_in(web.reader_token).status_code == 303
    page = reader.client.get(base).text
    assert "Add layer" not in page and "Add an override" not in page
    refused = _post(reader, f"{base}/overrides", start="", end="", user_id="nobody")
    assert refused.status_code == 403
    assert reader.client.get(f"{base}/overrides/new").status_code == 403
    reader.client.close()
    assert _read(web, made["s"].id).combine == "priority"


def _wall(t: datetime) -> str:
    return t.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def test_overrides_added_edited_and_deleted(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    s, base = made["s"], f"/schedules/{made['s'].id}"
    now = web.clock.now().astimezone(UTC).replace(second=0, microsecond=0)
    form = browser.client.get(f"{base}/overrides/new")
    assert form.status_code == 200 and f'action="{base}/overrides"' in form.text
    day = timedelta(days=1)
    start, end = now + day, now + 2 * day
    added = _post(browser, f"{base}/overrides", start=_wall(start), end=_wall(end),
                  user_id=str(made["cy"]), replaces_user_id="", note="")  # fmt: skip
    assert added.status_code == 303, added.text[:500]

    async def listed(conn: Any) -> list[schedules.Override]:
        return await schedules.list_overrides(conn, s.id, now=web.clock.now(), limit=10)

    [o] = web.run(listed)
    assert (o.start, o.end, o.user_id) == (start, end, made["cy"])
    page = browser.client.get(base).text
    assert f'data-override="{o.id}"' in page and "Cy</strong> on call instead" in page
    edit = browser.client.get(f"{base}/overrides/{o.id}/edit").text
    assert _wall(start) in edit and f'action="{base}/overrides/{o.id}/edit"' in edit
    saved = _post(browser, f"{base}/overrides/{o.id}/edit", start=_wall(start),
                  end=_wall(end + day), user_id="nobody", replaces_user_id="",
                  note="maintenance")  # fmt: skip
    assert saved.status_code == 303
    [o] = web.run(listed)
    assert (o.end, o.user_id, o.note) == (end + day, None, "maintenance")
    # Overlapping another override of the schedule: 409, the form again with the message.
    overlap = _post(browser, f"{base}/overrides", start=_wall(start + day), end=_wall(end + day),
                    user_id=str(made["ann"]), replaces_user_id="", note="")  # fmt: skip
    assert overlap.status_code == 409
    assert 'id="form-error"' in overlap.text and "verlaps override" in overlap.text
    backwards = _post(browser, f"{base}/overrides", start=_wall(end + 5 * day),
                      end=_wall(end + 4 * day), user_id="nobody")  # fmt: skip
    assert backwards.status_code == 422
    assert "must be after start" in backwards.text.split('id="error-end"')[1].split("<")[0]
    deleted = _post(browser, f"{base}/overrides/{o.id}/delete")
    assert deleted.status_code == 303
    assert web.run(listed) == []
    assert "Removed the override." in browser.client.get(base).text


def test_an_override_in_force_ends_now_and_is_recorded(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    s, base = made["s"], f"/schedules/{made['s'].id}"
    now = web.clock.now()
    later = _wall(now + timedelta(hours=3))
    added = _post(browser, f"{base}/overrides", start=_wall(now - timedelta(hours=1)), end=later,
                  user_id=str(made["cy"]), replaces_user_id=str(made["ann"]))  # fmt: skip
    assert added.status_code == 303, added.text[:500]
    assert _read(web, s.id).on_call_user_ids == [made["cy"]]
    assert _causes(web, s.id)[0] == "override_started"

    async def listed(conn: Any) -> list[schedules.Override]:
        return await schedules.list_overrides(conn, s.id, now=web.clock.now(), limit=10)

    [o] = web.run(listed)
    edit = browser.client.get(f"{base}/overrides/{o.id}/edit").text
    assert "only its end and its note can change" in edit
    # Fields of an override in force other than its end and note are kept as they are.
    longer = _wall(now + timedelta(hours=5))
    saved = _post(browser, f"{base}/overrides/{o.id}/edit", start=_wall(now), end=longer,
                  user_id=str(made["bo"]), replaces_user_id="", note="longer")  # fmt: skip
    assert saved.status_code == 303, re.findall(r"field-error[^>]*>([^<]+)<", saved.text)
    [o] = web.run(listed)
    assert (o.user_id, o.replaces_user_id, o.note) == (made["cy"], made["ann"], "longer")
    ended = _post(browser, f"{base}/overrides/{o.id}/delete")
    assert ended.status_code == 303
    assert "Ended the override now." in browser.client.get(base).text
    assert _read(web, s.id).on_call_user_ids == [made["ann"]]
    assert _causes(web, s.id)[0] == "override_ended"


def test_a_schedule_is_deleted_and_its_rotations_stay(
    web: Web, browser: Browser, made: dict[str, Any]
) -> None:
    base = f"/schedules/{made['s'].id}"
    assert "Delete schedule" in browser.client.get(base).text
    deleted = _post(browser, f"{base}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == "/schedules"
    assert "Deleted schedule Payments; its rotations stay." in browser.client.get("/schedules").text
    assert browser.client.get(base).status_code == 404
    assert _post(browser, f"{base}/delete").status_code == 404
    assert browser.client.get(f"/rotations/{made['primary']}").status_code == 200
