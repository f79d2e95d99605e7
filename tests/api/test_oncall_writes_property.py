"""Issue 20's property: random sequences of writes (overrides made, edited into force, ended
now, deleted; scheduled changes made and applied; users deleted; participants edited)
interleaved with engine runs at random instants, on the real database.

- The recorded history replayed equals the projection of the past: what the one projection
  said, right after each step, about the time until the next step is what the history
  records for that time.
- Each on-call change is recorded once, at its instant or at the write that caused it, never
  backdated: every row is at or before its processing time, and no row is written into time
  that an earlier row's processing had already reported.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection

from handoff import oncall
from handoff.store import changes, inputs, overrides, rotations, state, users
from handoff.store.clock import ClockSeam
from handoff.store.errors import StoreError

T0 = datetime(2026, 3, 2, 9, 30, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
USERS = 4
PROBE = timedelta(minutes=7)  # how finely the past is compared

minutes = st.integers(min_value=-90, max_value=600)
who = st.integers(min_value=0, max_value=USERS - 1)
steps = st.one_of(
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=400)),
    st.tuples(st.just("engine")),
    st.tuples(
        st.just("override"), minutes, st.integers(min_value=5, max_value=600), st.none() | who
    ),
    st.tuples(st.just("into_force"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("end_now"), st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("delete"), st.integers(min_value=0, max_value=5)),
    st.tuples(
        st.just("change"),
        st.integers(min_value=1, max_value=600),
        st.lists(who, max_size=3) | st.none(),
        st.sampled_from([None, 1, 2, 5]),
    ),
    st.tuples(st.just("participants"), st.lists(who, max_size=3)),
    st.tuples(st.just("delete_user"), who),
)


@dataclass
class Run:
    conn: AsyncConnection[Any]
    clock: ClockSeam
    rotation_id: UUID
    people: list[UUID]
    made: list[UUID]

    async def step(self, action: tuple[Any, ...]) -> None:
        kind, *args = action
        now = self.clock.now()
        if kind == "advance":
            self.clock.set(now + args[0] * MIN)
        elif kind == "engine":
            await state.write(self.conn, self.rotation_id, engine="queue")
        elif kind == "override":
            start, length, person = args
            draft = overrides.Draft(
                now + start * MIN,
                now + (start + length) * MIN,
                None if person is None else self.people[person],
            )
            made = await overrides.create(self.conn, self.rotation_id, draft, limit=50)
            self.made.append(made.id)
        elif kind in ("into_force", "end_now", "delete") and self.made:
            override_id = self.made[args[0] % len(self.made)]
            if kind == "into_force":
                await overrides.update(self.conn, self.rotation_id, override_id, {"start": now})
            elif kind == "end_now":
                await overrides.end(self.conn, self.rotation_id, override_id)
            else:
                await overrides.delete(self.conn, self.rotation_id, override_id)
        elif kind == "change":
            after, listed, length = args
            fields = changes.Fields(
                shift_length=length,
                participants=None if listed is None else [self.people[i] for i in listed],
            )
            await changes.create(self.conn, self.rotation_id, now + after * MIN, fields, limit=10)
        elif kind == "participants":
            patch = rotations.Patch(participants=[self.people[i] for i in args[0]])
            await rotations.update(self.conn, self.rotation_id, patch, limit=10)
        elif kind == "delete_user":
            await users.delete(self.conn, self.people[args[0]])


async def _projected(conn: AsyncConnection[Any], rotation_id: UUID) -> oncall.Inputs:
    [reading] = await inputs.read(conn, [rotation_id])
    return reading.inputs


def _recorded_at(rows: list[tuple[datetime, UUID | None]], at: datetime) -> UUID | None:
    found = None
    for boundary_at, on_call in rows:
        if boundary_at > at:
            break
        found = on_call
    return found


async def _check(url: str, actions: list[tuple[Any, ...]]) -> None:
    clock = ClockSeam(url, T0)
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        tag = uuid4().hex[:8]
        people = [(await users.create(conn, f"{tag}-{i}", None, now=T0)).id for i in range(USERS)]
        config = rotations.Config(
            f"rotation-{tag}", "hourly", datetime(2026, 3, 2, 9, tzinfo=UTC), "UTC", 3
        )
        made = await rotations.create(conn, config, people[:3], limit=10)
        run = Run(conn, clock, made.id, people, [])
        # After each step: its instant, and what the projection then says from there on.
        said: list[tuple[datetime, oncall.Inputs]] = [(T0, await _projected(conn, made.id))]
        for action in actions:
            # A refusal (overlap, a deleted user, ...) changes nothing.
            with contextlib.suppress(StoreError):
                await run.step(action)
            said.append((clock.now(), await _projected(conn, made.id)))
        end = clock.now()
        await state.write(conn, made.id, engine="queue")
        cur = await conn.execute(
            "SELECT boundary_at, processed_at, on_call_user_id FROM handoffs"
            " WHERE rotation_id = %s ORDER BY id",
            (made.id,),
        )
        rows = await cur.fetchall()
    # Rows of one write share its processing time; a later write never records into time
    # an earlier one had already reported.
    reported = batch = datetime.min.replace(tzinfo=UTC)
    for boundary_at, processed_at, _ in rows:
        if processed_at != batch:
            reported, batch = max(reported, batch), processed_at
        assert boundary_at <= processed_at  # never ahead of its processing
        assert boundary_at >= reported  # not backdated
    timeline = sorted(((r[0], r[2]) for r in rows), key=lambda r: r[0])
    # Stable sort keeps insertion order within an instant: the last row there decides.
    for (at, projected), (following, _) in zip(said, [*said[1:], (end, None)], strict=True):
        probe = at
        while probe < following:
            found = oncall.on_call_at(projected, probe)
            expected = None if found is None else found.user_id
            assert _recorded_at(timeline, probe) == expected, (probe, at)
            probe += PROBE


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(steps, min_size=1, max_size=14))
def test_random_writes_and_engine_runs_record_the_projection_once_never_backdated(
    db_url: str, actions: list[tuple[Any, ...]]
) -> None:
    asyncio.run(_check(db_url, actions))
