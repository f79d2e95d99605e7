"""One-time messages after an action ("Saved.", "Removed Cy."), shown on the next page.

An action redirects (post/redirect/get), so its message travels in a short-lived HttpOnly
cookie that the next full page shows once and deletes; htmx's partial updates leave it for the
page. The page shows it in a `role="status"` live region, so screen readers announce it.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from fastapi import Request, Response

FLASH_COOKIE = "handoff_flash"
MAX_AGE_SECONDS = 60  # a message not shown by then (the redirect was not followed) is dropped
MAX_LENGTH = 300


def flash(request: Request, response: Response, message: str) -> None:
    response.set_cookie(
        FLASH_COOKIE,
        quote(message[:MAX_LENGTH]),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def pending(request: Request) -> str | None:
    """The message to show on this page, if it is a full page (not an htmx update)."""
    if request.headers.get("HX-Request") == "true":
        return None
    value = request.cookies.get(FLASH_COOKIE)
    return unquote(value)[:MAX_LENGTH] if value else None


ONCE_COOKIE = "handoff_once"
ONCE_MAX_AGE_SECONDS = 60


def show_once(request: Request, response: Response, path: str, value: str) -> None:
    """A secret the next view of the page at `path` shows once (a new webhook's signing secret,
    a new feed link): the action still redirects, and the secret travels in an HttpOnly cookie
    sent to that page only, for a minute at most, deleted by `take_once` when shown."""
    response.set_cookie(
        ONCE_COOKIE,
        quote(value),
        max_age=ONCE_MAX_AGE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
    )


def once(request: Request) -> str | None:
    """The value `show_once` left for this page, if any (the page calls `take_once` after)."""
    value = request.cookies.get(ONCE_COOKIE)
    return unquote(value) if value else None


def take_once(request: Request, response: Response) -> None:
    """Delete the value shown on this page, so a refresh does not show it again."""
    if request.cookies.get(ONCE_COOKIE):
        response.delete_cookie(ONCE_COOKIE, path=request.url.path)
