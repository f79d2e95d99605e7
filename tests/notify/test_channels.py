"""What each kind sends (Slack's body, email through a real SMTP server) and where it may not
send (the SSRF refusals, when saved and again when sent)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import random
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from psycopg_pool import AsyncConnectionPool

from handoff.config import ConfigError, load_settings
from handoff.notify import channels, targets
from handoff.notify.deliver import deliver_line
from handoff.store import notify
from handoff.store.db import connect
from handoff.store.errors import Invalid

from .conftest import Receiver
from .helpers import Conn, messages, record, rotation, subscribe, user

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def conn(db_url: str) -> Any:
    with connect(db_url, autocommit=True) as connection:
        yield connection


async def _one_change(conn: Conn, pool: AsyncConnectionPool[Any], channel_id: Any) -> Any:
    ann, bob = user(conn, "Ann", "ann@example.com"), user(conn, "Bob <b>")
    rot = rotation(conn, "payments & co", T0, time_zone="Europe/Berlin")
    subscribe(conn, rot, channel_id)
    conn.execute(
        "INSERT INTO rotation_schedule (rotation_id, next_run_at) VALUES (%s, %s)",
        (rot, T0 + timedelta(days=1)),
    )
    record(conn, rot, [(T0, (ann, "Ann"), (bob, "Bob <b>"))])
    await deliver_line(pool, channel_id, rot, random.Random(1))
    return rot


async def test_slack_gets_text_and_blocks_in_the_rotations_zone(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver
) -> None:
    async with pool.connection() as aconn:
        channel, secret = await channels.create_channel(aconn, "s", "slack", receiver.at("/slack"))
    assert secret is None
    await _one_change(conn, pool, channel.id)
    (request,) = receiver.to("/slack")
    assert request.headers["content-type"] == "application/json"
    assert "webhook-signature" not in request.headers
    body = json.loads(request.body)
    # Slack's incoming-webhook shape: a `text` fallback and Block Kit blocks.
    assert set(body) == {"text", "blocks"} and isinstance(body["text"], str)
    assert "Bob <b> is now on call" in body["text"] and "2026-03-02 09:00 CET" in body["text"]
    for block in body["blocks"]:
        assert block["type"] in {"section", "context"}
        texts = [block["text"]] if block["type"] == "section" else block["elements"]
        for text in texts:
            assert text["type"] == "mrkdwn" and 0 < len(text["text"]) <= 3000
            assert "<b>" not in text["text"] and "&amp;" in body["blocks"][0]["text"]["text"]


class _PortZeroController(Controller):
    """aiosmtpd's controller on a port the system picks as the server binds (no free-port
    guess that another process could take first): the port is read from the bound socket
    before the controller's own first connection."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Any:
    received: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    controller = _PortZeroController(Handler(), hostname="127.0.0.1", port=0)
    controller.start()
    monkeypatch.setenv("HANDOFF_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    yield received
    controller.stop()


async def test_email_is_sent_over_smtp_with_the_shift_as_icalendar(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, smtp: list[Message]
) -> None:
    async with pool.connection() as aconn:
        channel, _ = await channels.create_channel(aconn, "mail", "email", "team@example.com")
    await _one_change(conn, pool, channel.id)
    (message,) = smtp
    assert message["To"] == "team@example.com"
    assert message["Subject"].strip().startswith("payments & co: Bob <b> is now on call")
    (sent,) = messages(conn)
    assert message["Message-ID"] == f"<msg_{sent['id'].hex}@handoff>"
    parts = {p.get_content_type(): p for p in message.walk()}
    assert "text/plain" in parts
    cal = icalendar.Calendar.from_ical(parts["text/calendar"].get_payload(decode=True))
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == T0
    assert event.decoded("dtend") == T0 + timedelta(days=1)
    assert sent["status"] == "delivered"


async def test_the_smtp_server_and_private_targets_come_from_handoff_toml(
    conn: Conn,
    pool: AsyncConnectionPool[Any],
    receiver: Receiver,
    smtp: list[Message],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Both are Settings like any other: the TOML file works as well as the environment."""
    server = os.environ[targets.SMTP_URL_ENV]
    monkeypatch.delenv(targets.SMTP_URL_ENV)
    monkeypatch.delenv(targets.ALLOW_NETWORKS_ENV)
    config = tmp_path / "handoff.toml"
    config.write_text(f'smtp_url = "{server}"\nwebhook_allow_networks = ["127.0.0.0/8"]\n')
    monkeypatch.setenv("HANDOFF_CONFIG", str(config))
    async with pool.connection() as aconn:
        mail, _ = await channels.create_channel(aconn, "mail", "email", "team@example.com")
        hook, _ = await channels.create_channel(aconn, "hook", "webhook", receiver.at("/h"))
    await _one_change(conn, pool, mail.id)
    assert [m["To"] for m in smtp] == ["team@example.com"]
    config.write_text("webhook_allow_networks = []\n")
    async with pool.connection() as aconn:
        with pytest.raises(
            Invalid,
            match="not a public address; to allow it, add its network to HANDOFF_WEBHOOK_ALLOW",
        ):
            await channels.create_channel(aconn, "again", "webhook", receiver.at("/h"))
        with pytest.raises(Invalid, match="email channels need HANDOFF_SMTP_URL"):
            await channels.create_channel(aconn, "mail2", "email", "bo@example.com")
    assert hook.target == receiver.at("/h")


def test_an_smtp_url_setting_must_be_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(targets.SMTP_URL_ENV, "http://mail.example.com")
    with pytest.raises(ConfigError, match="smtp_url: Value error, must start with smtp://"):
        load_settings()


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://172.16.0.1/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[fe80::1]/x",
        "http://0.0.0.0/x",
    ],
)
async def test_private_targets_are_refused_when_saved(
    pool: AsyncConnectionPool[Any], monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.delenv(targets.ALLOW_NETWORKS_ENV, raising=False)
    async with pool.connection() as aconn:
        with pytest.raises(
            Invalid,
            match="not a public address; to allow it, add its network to HANDOFF_WEBHOOK_ALLOW",
        ):
            await channels.create_channel(aconn, "x", "webhook", target)
        assert await notify.list_channels(aconn) == []


async def test_a_public_address_is_accepted() -> None:
    await targets.check("webhook", "https://93.184.215.14/hook")


async def test_a_target_is_checked_again_when_sent(
    conn: Conn, pool: AsyncConnectionPool[Any], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pool.connection() as aconn:
        channel, _ = await channels.create_channel(aconn, "w", "webhook", receiver.at("/h"))
    monkeypatch.delenv(targets.ALLOW_NETWORKS_ENV)
    await _one_change(conn, pool, channel.id)
    assert receiver.to("/h") == []
    (message,) = messages(conn)
    assert message["status"] == "failed"
    assert "not a public address" in message["last_error"]
