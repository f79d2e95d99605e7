"""An HTTP client that uses the UI the way a browser does: cookies, forms and their CSRF token."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from .conftest import Web

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Browser:
    """An httpx client that signs in the way a browser does (cookies, the form's CSRF token)."""

    def __init__(self, web: Web, **headers: str) -> None:
        self.client = httpx.Client(base_url=web.url, follow_redirects=False, headers=headers)
        self.csrf = ""

    def sign_in(self, token: str) -> httpx.Response:
        form = self.client.get("/signin")
        response = self.client.post("/signin", data={"csrf_token": csrf(form.text), "token": token})
        if response.status_code == 303:
            self.csrf = csrf(self.client.get("/rotations").text)
        return response
