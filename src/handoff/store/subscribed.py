"""What a channel subscribes to: a rotation (`rotation.oncall_changed`) or a schedule
(`schedule.oncall_changed`). Each has its own store functions and table; this names them side by
side so that the web UI and the CLI manage both with one piece of code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from psycopg import AsyncConnection

from handoff.store import notify, rotations, schedules

Conn = AsyncConnection[Any]


class Named(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def name(self) -> str: ...


class Link(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def channel_id(self) -> UUID: ...


@dataclass(frozen=True, slots=True)
class Subscribed:
    """One kind of owner: `get` and `find` raise NotFound (a 404, one CLI line) for a missing
    one; `unsubscribe` too for a subscription that is not the owner's."""

    kind: str  # "rotation" or "schedule": also its pages' path, /<kind>s/<id>
    get: Callable[[Conn, UUID, datetime], Awaitable[Named]]
    find: Callable[[Conn, str, datetime], Awaitable[Named]]
    listed: Callable[[Conn, UUID], Awaitable[Sequence[Link]]]
    subscribe: Callable[[Conn, UUID, UUID], Awaitable[Link]]
    unsubscribe: Callable[[Conn, UUID, UUID], Awaitable[None]]


ROTATION = Subscribed(
    "rotation",
    lambda conn, rotation_id, now: rotations.get(conn, rotation_id, now=now),
    lambda conn, name, now: rotations.find(conn, name, now=now),
    notify.list_subscriptions,
    notify.subscribe,
    notify.unsubscribe,
)
SCHEDULE = Subscribed(
    "schedule",
    lambda conn, schedule_id, now: schedules.get(conn, schedule_id, now=now),
    lambda conn, name, now: schedules.find(conn, name, now=now),
    schedules.list_subscriptions,
    schedules.subscribe,
    schedules.unsubscribe,
)
