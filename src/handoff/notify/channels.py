"""Channels as a user edits them (notify.md): what is sent is checked (a name, a kind, a
target of the kind's form whose host resolves where sending is allowed, `targets`), a webhook
gets its signing key (`signing`), and the store writes the row. Here, above the store, so
that the store does no DNS lookups and imports nothing of `notify`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from handoff.notify import signing, targets
from handoff.store import notify
from handoff.store.errors import Conflict, Errors, invalid
from handoff.store.notify import Channel


def _target_form(kind: str, target: str) -> str:
    target = notify.check_target_text(target)
    try:
        targets.check_syntax(kind, target)
    except targets.TargetError as exc:
        raise invalid("target", str(exc)) from None
    return target


async def _target_reachable(kind: str, target: str) -> None:
    """Where the target's host resolves (checked after its form, and again at each send)."""
    try:
        await targets.check(kind, target)
    except targets.TargetError as exc:
        raise invalid("target", str(exc)) from None


def _kind(kind: str) -> str:
    if kind not in targets.KINDS:
        raise invalid("kind", f"must be one of {', '.join(targets.KINDS)}")
    return kind


async def create_channel(
    conn: AsyncConnection[Any], name: str, kind: str, target: str
) -> tuple[Channel, str | None]:
    """A new channel, and its secret if it is a webhook (shown this once)."""
    errors = Errors()
    name_ok = errors.take(lambda: notify.check_name(name))
    kind_ok = errors.take(lambda: _kind(kind))
    target_ok = errors.take(lambda: _target_form(kind, target)) if kind_ok else None
    errors.raise_any()
    assert name_ok is not None and target_ok is not None
    await _target_reachable(kind, target_ok)
    key = signing.new_key() if kind == "webhook" else None
    channel = await notify.insert_channel(conn, name_ok, kind, target_ok, key)
    return channel, signing.secret_text(key) if key else None


async def update_channel(
    conn: AsyncConnection[Any],
    channel_id: UUID,
    *,
    name: str | None = None,
    target: str | None = None,
    enabled: bool | None = None,
) -> Channel:
    """Rename, retarget, disable or enable; enabling sends what is still pending."""
    current = await notify.get_channel(conn, channel_id)
    errors = Errors()
    new_name = name
    if name is not None:
        new_name = errors.take(lambda: notify.check_name(name))
    new_target = target
    if target is not None:
        new_target = errors.take(lambda: _target_form(current.kind, target))
    errors.raise_any()
    if new_target is not None:
        await _target_reachable(current.kind, new_target)
    return await notify.write_channel(
        conn, channel_id, name=new_name, target=new_target, enabled=enabled
    )


async def rotate_secret(conn: AsyncConnection[Any], channel_id: UUID) -> str:
    """A new secret for a webhook channel; the old one stops signing at once."""
    channel = await notify.get_channel(conn, channel_id)
    if channel.kind != "webhook":
        raise Conflict(f"channel {channel.name!r} is a {channel.kind} channel and has no secret")
    key = signing.new_key()
    await notify.write_secret(conn, channel_id, key)
    return signing.secret_text(key)
