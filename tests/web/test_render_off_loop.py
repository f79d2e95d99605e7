"""A page's template is rendered in a worker thread, not on the event loop (issue 24's probe:
rendering the report of 10,000 rotations held every other request of the process for about a
second)."""

from __future__ import annotations

import asyncio
from typing import Any

import jinja2
import pytest

from .client import Browser


def test_pages_render_off_the_event_loop(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    on_loop: list[bool] = []
    render = jinja2.Template.render

    def watched(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", watched)
    signin = browser.client.get("/signin")
    assert signin.status_code == 200 and "csrf_token" in signin.text
    assert int(signin.headers["content-length"]) == len(signin.content)
    assert on_loop and not any(on_loop)
