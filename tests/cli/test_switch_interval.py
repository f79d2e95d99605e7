"""`handoff api` and `handoff up` hand the interpreter lock back to the event loop within
SWITCH_INTERVAL_SECONDS of a heavy page's thread (issue 24's probe), not Python's 5 ms."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from handoff.cli import serve


@pytest.fixture
def interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_serving_shortens_the_switch_interval(
    interval: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float] = []

    async def serving(self: serve.Server) -> None:
        seen.append(sys.getswitchinterval())

    monkeypatch.setattr(serve.Server, "serve", serving)
    app = FastAPI()
    app.state.settings = None
    monkeypatch.setattr(serve, "uvicorn_options", lambda settings: {})
    asyncio.run(serve.serve(app, "127.0.0.1", 0))
    assert seen == [serve.SWITCH_INTERVAL_SECONDS] and serve.SWITCH_INTERVAL_SECONDS < 0.005
