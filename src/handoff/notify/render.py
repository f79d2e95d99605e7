"""The bodies sent for one message, per channel kind; pure functions of the stored event.

The event (`payload`) is fixed when the message is written, so every attempt sends the same
bytes: the webhook body is its canonical JSON, Slack's and email's are rendered from it.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

Event = dict[str, Any]


def webhook_body(event: Event) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def _local(value: str | None, zone: str) -> str:
    if value is None:
        return "not planned"
    at = datetime.fromisoformat(value).astimezone(ZoneInfo(zone))
    return at.strftime("%Y-%m-%d %H:%M %Z")


def _who(user: dict[str, Any] | None) -> str:
    return "nobody" if user is None else str(user["name"])


def summary(event: Event) -> str:
    """One line saying what happened, times in the rotation's zone."""
    data = event["data"]
    kind = event["type"]
    if kind == "channel.test":
        return f"Test message from handoff for channel {data['channel']['name']}"
    if kind == "schedule.oncall_changed":
        return _schedule_summary(data)
    rotation = data["rotation"]
    zone = rotation["time_zone"]
    if kind in ("swap.requested", "swap.taken"):
        return _swap_line(kind, data, zone)
    if kind == "shift.reminder":
        return (
            f"Reminder: {data['user']['name']} is on call for {rotation['name']} "
            f"from {_local(data['shift_start'], zone)} to {_local(data['shift_end'], zone)}"
        )
    line = (
        f"{rotation['name']}: {_who(data['to_user'])} is now on call "
        f"(was {_who(data['from_user'])}) since {_local(data['at'], zone)}"
    )
    if data["missed"]:
        line += f"; {data['missed']} on-call changes while notifications were behind"
    return line


def _swap_line(kind: str, data: dict[str, Any], zone: str) -> str:
    swap = data["swap"]
    when = f"from {_local(swap['start'], zone)} to {_local(swap['end'], zone)}"
    rotation = data["rotation"]["name"]
    if kind == "swap.taken":
        return f"{rotation}: {_who(data['taker'])} takes {_who(data['requester'])}'s shift {when}"
    note = f": {swap['note']}" if swap["note"] else ""
    return f"{rotation}: {_who(data['requester'])} asks for cover {when}{note}"


def _schedule_summary(data: dict[str, Any]) -> str:
    """A schedule's final change: its people before and after (nobody: a gap)."""
    schedule = data["schedule"]

    def people(found: list[dict[str, Any]]) -> str:
        return ", ".join(str(p["name"] or p["id"]) for p in found) or "nobody"

    line = (
        f"{schedule['name']}: {people(data['to_users'])} on call "
        f"(was {people(data['from_users'])}) since {_local(data['at'], schedule['time_zone'])}"
    )
    if data["missed"]:
        line += f"; {data['missed']} on-call changes while the schedule was behind"
    return line


def slack_body(event: Event) -> bytes:
    """Slack's incoming-webhook shape: `text` (the fallback) plus section blocks of mrkdwn."""
    text = summary(event)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(text)}}
    ]
    data = event["data"]
    if event["type"] == "rotation.oncall_changed":
        zone = data["rotation"]["time_zone"]
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _escape(
                            f"Cause: {data['cause']} · next change: "
                            f"{_local(data['next_change_at'], zone)} · zone {zone}"
                        ),
                    }
                ],
            }
        )
    return json.dumps({"text": text, "blocks": blocks}, ensure_ascii=False).encode()


def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _calendar(event: Event, msg_id: str) -> bytes | None:
    data = event["data"]
    if event["type"] == "shift.reminder":
        start, end = data["shift_start"], data["shift_end"]
    elif event["type"] == "rotation.oncall_changed" and data["to_user"] is not None:
        start, end = data["at"], data["next_change_at"]
    else:
        return None
    cal = icalendar.Calendar()
    cal.add("prodid", "-//handoff//notifications//EN")
    cal.add("version", "2.0")
    vevent = icalendar.Event()
    vevent.add("uid", f"{msg_id}@handoff")
    vevent.add("dtstamp", datetime.fromisoformat(event["timestamp"]))
    vevent.add("dtstart", datetime.fromisoformat(start))
    if end is not None:
        vevent.add("dtend", datetime.fromisoformat(end))
    who = data["user"] if event["type"] == "shift.reminder" else data["to_user"]
    vevent.add("summary", f"On call: {data['rotation']['name']} ({who['name']})")
    cal.add_component(vevent)
    return bytes(cal.to_ical())


def email_message(event: Event, msg_id: str, sender: str, to: str) -> EmailMessage:
    """Plain text plus, for a shift, an iCalendar attachment of it."""
    message = EmailMessage()
    message["Subject"] = summary(event)
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = f"<{msg_id}@handoff>"
    message.set_content(summary(event) + "\n\n" + json.dumps(event, indent=2) + "\n")
    ics = _calendar(event, msg_id)
    if ics is not None:
        message.add_attachment(ics, maintype="text", subtype="calendar", filename="shift.ics")
    return message
