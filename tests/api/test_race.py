"""A randomized race (engine.md, "One lock order"): API writers adding, removing, replacing and
handing over participants and deleting users, against the dispatcher, the sweep and two queue
workers, while the engine's clock crosses many boundaries. No answer is a 5xx, nothing
deadlocks (the database counts no deadlock and no job fails on one or on a unique violation:
`exactly_once`), and every boundary of every rotation is recorded exactly once."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from engine.exactly_once import exactly_once
from handoff.config import Settings
from handoff.grid import Grid
from handoff.worker import run_engine

from .conftest import T0, Api

ROTATIONS = 6
STEPS = 12  # boundaries crossed
WRITERS = 3
SETTLE = 30.0  # seconds for the engines to catch up at the end
START = datetime(2026, 3, 1, tzinfo=UTC)
HOURLY = Grid("hourly", 1, START, "UTC")


class EngineThread:
    """A queue engine (a worker with its dispatcher and sweep) on its own loop and thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.error: BaseException | None = None

    def _main(self) -> None:
        async def main() -> None:
            self.stop = asyncio.Event()
            await run_engine(
                self.url,
                Settings(database_url=self.url),
                engine="queue",
                concurrency=3,
                stop=self.stop,
            )

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> EngineThread:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        while self.stop is None:
            time.sleep(0.01)
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=30)


def _writer(
    api: Api,
    rotations: list[dict[str, Any]],
    seed: int,
    done: threading.Event,
    answers: Counter[int],
) -> None:
    rng = random.Random(seed)
    client = httpx.Client(
        base_url=str(api.admin.base_url), headers=dict(api.admin.headers), timeout=30
    )
    extras: list[str] = []
    with client:
        while not done.is_set():
            rotation = rng.choice(rotations)
            path = f"/api/v1/rotations/{rotation['id']}"
            action = rng.randrange(5)
            if action == 0 or not extras:
                made = client.post("/api/v1/users", json={"name": f"x{seed}-{rng.random()}"})
                answers[made.status_code] += 1
                if made.status_code == 201:
                    extras.append(made.json()["id"])
                    answers[
                        client.post(
                            f"{path}/participants", json={"user_id": extras[-1]}
                        ).status_code
                    ] += 1
            elif action == 1:
                answers[
                    client.delete(
                        f"/api/v1/users/{extras.pop(rng.randrange(len(extras)))}"
                    ).status_code
                ] += 1
            elif action == 2:
                core = [p["user_id"] for p in rotation["participants"]]
                chosen = rng.sample(extras, k=min(len(extras), 2))
                answers[client.patch(path, json={"participants": core + chosen}).status_code] += 1
            elif action == 3:
                answers[
                    client.patch(path, json={"active_index": rng.randrange(2)}).status_code
                ] += 1
            else:
                shown = client.get(path)
                answers[shown.status_code] += 1


def test_api_writers_race_the_engines_across_boundaries(
    api: Api, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    core = [api.user("Ann"), api.user("Bob")]
    rotations = [
        api.rotation(f"r{i}", core, type="hourly", start="2026-03-01T00:00:00Z", time_zone="UTC")
        for i in range(ROTATIONS)
    ]
    answers: Counter[int] = Counter()
    done = threading.Event()
    writers = [
        threading.Thread(target=_writer, args=(api, rotations, seed, done, answers))
        for seed in range(WRITERS)
    ]
    logged = lambda: caplog.text + "".join(capfd.readouterr())  # noqa: E731  (the engines' logs)
    with (
        exactly_once(api.db_url, output=logged),
        EngineThread(api.db_url) as first,
        EngineThread(api.db_url) as second,
    ):
        for w in writers:
            w.start()
        now = T0
        for _ in range(STEPS):
            now = HOURLY.end_time(now) + timedelta(seconds=1)
            api.clock.set(now)
            time.sleep(0.4)
        done.set()
        for w in writers:
            w.join(timeout=60)
        deadline = time.monotonic() + SETTLE
        while api.sql("SELECT 1 FROM rotation_schedule WHERE next_run_at <= handoff_now() LIMIT 1"):
            assert time.monotonic() < deadline, "the engines did not catch up"
            time.sleep(0.2)
    assert first.error is None and second.error is None
    assert not [code for code in answers if code >= 500], answers
    assert sum(n for code, n in answers.items() if code < 300) >= 50, answers  # a real race
    expected = [HOURLY.end_time(T0)]
    while HOURLY.end_time(expected[-1]) <= now:
        expected.append(HOURLY.end_time(expected[-1]))
    for rotation in rotations:
        rows = api.sql(
            "SELECT boundary_at FROM handoffs WHERE rotation_id = %s AND cause = 'boundary'"
            " ORDER BY boundary_at",
            rotation["id"],
        )
        assert [r["boundary_at"] for r in rows] == expected
