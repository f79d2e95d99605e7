"""A feed token cannot make the service build an unbounded feed (issue 24.3): a person's feed
carries at most MAX_FEED_EVENTS shifts (the earliest, within 180 days) and MAX_FEED_ALARMS
alarms each, and its description says so and what it leaves out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import icalendar

from handoff.api.calendar import MAX_FEED_EVENTS
from handoff.api.routes.feeds import MAX_FEED_ALARMS

from .conftest import Secured


def _reminders(secured: Secured, user_id: str, channel: str, leads: list[int]) -> None:
    secured.sql(
        "INSERT INTO notify_channels (name, kind, target) VALUES (%s, 'slack', %s)",
        channel,
        "https://hooks.slack.com/services/feed-bound",
    )
    for lead in leads:
        secured.sql(
            "INSERT INTO notify_reminders (user_id, channel_id, before_minutes)"
            " SELECT %s, id, %s FROM notify_channels WHERE name = %s",
            user_id,
            lead,
            channel,
        )


def test_a_feed_is_bounded_and_says_so(secured: Secured, unique: Callable[[str], str]) -> None:
    admin = secured.admin
    person = admin.post("/api/v1/users", json={"name": unique("Feed Bound")}).json()["id"]
    start = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    for name in ("a", "b"):  # two hourly rotations: about 8,600 shifts in 180 days
        made = admin.post(
            "/api/v1/rotations",
            json={
                "name": unique(f"hourly {name}"),
                "type": "hourly",
                "start": start.isoformat(),
                "time_zone": "UTC",
                "participants": [person],
            },
        )
        assert made.status_code == 201, made.text
    _reminders(secured, person, unique("feed-bound"), [5, 10, 15, 30, 60, 120, 1440])

    response = admin.get(f"/api/v1/users/{person}/calendar.ics")
    assert response.status_code == 200, response.text
    feed = icalendar.Calendar.from_ical(response.content)
    events = list(feed.walk("VEVENT"))
    assert len(events) == MAX_FEED_EVENTS
    starts = [e.decoded("dtstart") for e in events]
    assert starts == sorted(starts)  # the earliest shifts
    assert starts[-1] - starts[0] < timedelta(days=30)
    for event in events:
        triggers = sorted(a.decoded("trigger") for a in event.walk("VALARM"))
        assert len(triggers) == MAX_FEED_ALARMS
        assert max(triggers) == -timedelta(minutes=5)  # the shortest lead times are kept
    description = str(feed.get("description"))
    assert "at most" in str(feed.get("x-wr-caldesc"))  # the name some calendar clients show
    assert f"at most {MAX_FEED_EVENTS} (the earliest)" in description
    assert f"at most {MAX_FEED_ALARMS} alarms each" in description
    hidden_from = datetime.fromisoformat(description.rsplit("from ", 1)[1].rstrip("."))
    assert starts[-1] <= hidden_from <= starts[-1] + timedelta(hours=1)


def test_a_rotation_feed_is_bounded_and_says_so(
    secured: Secured, unique: Callable[[str], str]
) -> None:
    """An hourly rotation has 2,160 shifts in the feed's 90 days: it carries the first 1,000."""
    admin = secured.admin
    person = admin.post("/api/v1/users", json={"name": unique("Rotation Feed")}).json()["id"]
    start = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    made = admin.post(
        "/api/v1/rotations",
        json={
            "name": unique("hourly feed"),
            "type": "hourly",
            "start": start.isoformat(),
            "time_zone": "UTC",
            "participants": [person],
        },
    )
    assert made.status_code == 201, made.text
    response = admin.get(f"/api/v1/rotations/{made.json()['id']}/calendar.ics")
    assert response.status_code == 200, response.text
    feed = icalendar.Calendar.from_ical(response.content)
    starts = [e.decoded("dtstart") for e in feed.walk("VEVENT")]
    assert len(starts) == MAX_FEED_EVENTS and starts == sorted(starts)
    description = str(feed.get("description"))
    assert f"in the next 90 days, at most {MAX_FEED_EVENTS} (the earliest)" in description
    assert "later ones are not shown, from " in description
