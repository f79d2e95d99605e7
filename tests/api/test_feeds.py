"""A person's calendar feed (notify.md) and its feed tokens: content, who may read it, revocation.

The feed must list exactly the person's shifts that `/shifts` gives for each rotation over the
next 180 days; a feed token must read that one feed and nothing else, stop working when revoked
or replaced, and never be shown to a reader or stored in clear.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import icalendar

from .conftest import T0, Api

HORIZON = timedelta(days=180)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _events(response: httpx.Response) -> list[icalendar.cal.Component]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def _shifts_of(api: Api, rotation_id: str, user_id: str) -> list[tuple[str, str]]:
    items = api.reader.get(
        f"/api/v1/rotations/{rotation_id}/shifts",
        params={"since": _z(T0), "until": _z(T0 + HORIZON)},
    ).json()["items"]
    return [(s["start"], s["end"]) for s in items if s["user_id"] == user_id]


def _feed_token(api: Api, user_id: str) -> dict[str, str]:
    response = api.admin.post(f"/api/v1/users/{user_id}/feed-token")
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def test_the_feed_has_every_shift_of_the_person_in_every_rotation(api: Api) -> None:
    ann, bob, cid = api.user("Ann Lee"), api.user("Bob Chen"), api.user("Cid")
    daily = api.rotation("payments", [ann, bob])
    weekly = api.rotation("database", [cid, ann], type="weekly")
    api.rotation("frontend", [bob, cid])

    events = _events(api.reader.get(f"/api/v1/users/{ann}/calendar.ics"))
    assert not any(e.walk("VALARM") for e in events)  # no reminder settings, no alarms

    expected = sorted(
        [(*s, "payments") for s in _shifts_of(api, daily["id"], ann)]
        + [(*s, "database") for s in _shifts_of(api, weekly["id"], ann)]
    )
    got = sorted(
        (_z(e.decoded("dtstart")), _z(e.decoded("dtend")), str(e.get("summary")).split(": ")[1])
        for e in events
    )
    assert got == expected
    assert len(expected) > 100  # 90 daily shifts and about 13 weekly ones
    assert min(start for start, _, _ in got) == _z(T0)  # the rotations began at T0
    assert max(end for _, end, _ in got) >= _z(T0 + HORIZON)
    assert len({str(e.get("uid")) for e in events}) == len(events)
    calendar = icalendar.Calendar.from_ical(
        api.reader.get(f"/api/v1/users/{bob}/calendar.ics").content
    )
    assert str(calendar.get("x-wr-calname")) == "Bob Chen on call"


def test_override_shifts_are_in_the_feed_of_the_person_covering(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    daily = api.rotation("payments", [ann])
    start, end = T0 + timedelta(days=1, hours=2), T0 + timedelta(days=1, hours=8)
    made = api.admin.post(
        f"/api/v1/rotations/{daily['id']}/overrides",
        json={"start": _z(start), "end": _z(end), "user_id": bob},
    )
    assert made.status_code == 201, made.text

    bobs = _events(api.reader.get(f"/api/v1/users/{bob}/calendar.ics"))
    assert [
        (_z(e.decoded("dtstart")), _z(e.decoded("dtend")), str(e.get("summary"))) for e in bobs
    ] == [(_z(start), _z(end), "On call: payments (override)")]
    # Ann's shift is cut where Bob covers it, as /shifts says.
    anns = _events(api.reader.get(f"/api/v1/users/{ann}/calendar.ics"))
    got = sorted((_z(e.decoded("dtstart")), _z(e.decoded("dtend"))) for e in anns)
    assert got == sorted(_shifts_of(api, daily["id"], ann))
    assert any(until == _z(start) for _, until in got)  # Ann's shift stops where Bob's begins
    assert any(since == _z(end) for since, _ in got)  # and resumes where it ends


def test_a_refresh_keeps_the_events_of_shifts_that_have_not_changed(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    api.rotation("payments", [ann, bob], type="weekly")
    feed = f"/api/v1/users/{ann}/calendar.ics"

    def events() -> dict[str, tuple[datetime, datetime]]:
        found = _events(api.reader.get(feed))
        return {str(e.get("uid")): (e.decoded("dtstart"), e.decoded("dtend")) for e in found}

    before = events()
    api.clock.advance(timedelta(hours=5))  # a calendar client refreshing later the same week
    after = events()
    # Ann's shift in progress keeps its start, so its event is the same one, not a new event
    # starting at each refresh.
    first = min(before, key=lambda uid: before[uid])
    assert before[first][0] == T0
    assert after[first] == before[first]
    assert set(after) == set(before)


def _reminder(api: Api, user_id: str, channel: str, before_minutes: int) -> None:
    """A reminder setting (notify.md), with its channel, written as the notify store does."""
    api.sql(
        "INSERT INTO notify_channels (name, kind, target) VALUES (%s, 'slack', %s)"
        " ON CONFLICT (name) DO NOTHING",
        channel,
        f"https://hooks.slack.com/services/{channel}",
    )
    api.sql(
        "INSERT INTO notify_reminders (user_id, channel_id, before_minutes)"
        " SELECT %s, id, %s FROM notify_channels WHERE name = %s",
        user_id,
        before_minutes,
        channel,
    )


def test_each_event_has_an_alarm_per_reminder_lead_time(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    api.rotation("payments", [ann, bob])
    _reminder(api, ann, "team-slack", 60)
    _reminder(api, ann, "team-slack", 1440)
    _reminder(api, ann, "other-slack", 60)  # the same lead time by another channel: one alarm
    _reminder(api, bob, "team-slack", 15)

    events = _events(api.reader.get(f"/api/v1/users/{ann}/calendar.ics"))
    assert events
    for event in events:
        alarms = event.walk("VALARM")
        assert sorted(a.decoded("trigger") for a in alarms) == [
            -timedelta(days=1),
            -timedelta(hours=1),
        ]
        assert {str(a.get("action")) for a in alarms} == {"DISPLAY"}
        assert {str(a.get("description")) for a in alarms} == {"On call soon: payments"}
    bobs = _events(api.reader.get(f"/api/v1/users/{bob}/calendar.ics"))
    assert {a.decoded("trigger") for e in bobs for a in e.walk("VALARM")} == {
        -timedelta(minutes=15)
    }


def test_a_person_in_no_rotation_has_an_empty_feed_and_an_unknown_one_none(api: Api) -> None:
    nobody = api.user("Dee")
    assert _events(api.reader.get(f"/api/v1/users/{nobody}/calendar.ics")) == []
    missing = api.reader.get("/api/v1/users/00000000-0000-4000-8000-000000000000/calendar.ics")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_names_with_line_breaks_cannot_break_the_feed(api: Api) -> None:
    ann = api.user("Ann")
    rotation = api.rotation("payments", [ann])
    # The API refuses such names; rows written by plain SQL may still hold them.
    api.sql("UPDATE users SET name = %s WHERE id = %s", "Ann\r\nEND:VCALENDAR", ann)
    api.sql("UPDATE rotations SET name = %s WHERE id = %s", "pay\nments", rotation["id"])
    response = api.reader.get(f"/api/v1/users/{ann}/calendar.ics")
    events = _events(response)
    assert events
    assert all(str(e.get("summary")) == "On call: pay ments" for e in events)
    assert response.content.split(b"\r\n").count(b"END:VCALENDAR") == 1
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar.get("x-wr-calname")) == "Ann END:VCALENDAR on call"


def test_a_feed_token_reads_its_persons_feed_without_a_header(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    api.rotation("payments", [ann, bob])
    made = _feed_token(api, ann)
    assert made["user_id"] == ann
    assert made["token"].startswith("hfeed_")
    assert made["url"].endswith(f"/api/v1/users/{ann}/calendar.ics?token={made['token']}")

    by_url = api.anonymous.get(made["url"])
    assert _events(by_url)
    assert by_url.content == api.reader.get(f"/api/v1/users/{ann}/calendar.ics").content
    # It reads that one feed, nothing else: not Bob's feed, not the API.
    token = {"token": made["token"]}
    assert api.anonymous.get(f"/api/v1/users/{bob}/calendar.ics", params=token).status_code == 401
    assert api.anonymous.get("/api/v1/users", params=token).status_code == 401
    as_bearer = httpx.get(
        f"{api.anonymous.base_url}/api/v1/users/{ann}",
        headers={"Authorization": f"Bearer {made['token']}"},
    )
    assert as_bearer.status_code == 401
    # API tokens still read the feed by header or ?token=, as the rotation feed does.
    feed = f"/api/v1/users/{ann}/calendar.ics"
    assert api.anonymous.get(feed, params={"token": api.reader_token}).status_code == 200
    assert api.anonymous.get(feed).status_code == 401
    assert api.anonymous.get(feed, params={"token": "hfeed_wrong"}).status_code == 401


def test_a_revoked_or_replaced_feed_token_is_refused(api: Api) -> None:
    ann = api.user("Ann")
    api.rotation("payments", [ann])
    first = _feed_token(api, ann)
    second = _feed_token(api, ann)  # replaces the first
    assert api.anonymous.get(first["url"]).status_code == 401
    assert api.anonymous.get(second["url"]).status_code == 200

    assert api.admin.delete(f"/api/v1/users/{ann}/feed-token").status_code == 204
    refused = api.anonymous.get(second["url"])
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    again = api.admin.delete(f"/api/v1/users/{ann}/feed-token")
    assert again.status_code == 404
    assert api.sql("SELECT count(*) AS n FROM feed_tokens WHERE revoked_at IS NULL")[0]["n"] == 0


def test_readers_get_no_feed_tokens_and_only_hashes_are_stored(api: Api) -> None:
    ann = api.user("Ann")
    assert api.reader.post(f"/api/v1/users/{ann}/feed-token").status_code == 403
    made = _feed_token(api, ann)
    assert api.reader.delete(f"/api/v1/users/{ann}/feed-token").status_code == 403
    assert api.anonymous.get(made["url"]).status_code == 200  # the reader's 403 revoked nothing
    assert made["token"] not in api.reader.get(f"/api/v1/users/{ann}").text
    assert made["token"] not in api.reader.get("/openapi.json").text
    rows = api.sql("SELECT * FROM feed_tokens")
    assert len(rows) == 1
    assert all(made["token"] not in str(value) for value in rows[0].values())
    assert rows[0]["token_hash"] != made["token"].encode()
    missing = api.admin.post("/api/v1/users/00000000-0000-4000-8000-000000000000/feed-token")
    assert missing.status_code == 404


def test_deleting_the_person_deletes_their_feed_token(api: Api) -> None:
    ann = api.user("Ann")
    made = _feed_token(api, ann)
    assert api.admin.delete(f"/api/v1/users/{ann}").status_code == 204
    assert api.anonymous.get(made["url"]).status_code == 401
    assert api.sql("SELECT count(*) AS n FROM feed_tokens")[0]["n"] == 0
