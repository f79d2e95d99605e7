"""The UI's route class: whatever a user can cause becomes a page with a message, never a 500.

The API's exception handlers answer with problem+json; the UI's routes catch the same store
errors first and render them as HTML (a sign-in redirect, a 403, 404 or 422 page), so a person
never sees JSON or a stack trace. `install` does the same for an address no route serves: a
browser gets the HTML error page, an API client keeps its problem+json.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from handoff.store.errors import Conflict, Invalid, NotFound, StoreError
from handoff.web.render import page
from handoff.web.session import Refused, SignInRequired, signed_in

SIGN_IN = "/signin"
API_PREFIX = "/api/"
_NO_ROUTE = {404: "there is no such page", 405: "this page cannot do that"}
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def to_sign_in(request: Request) -> Response:
    """A redirect that also works for htmx requests (which would otherwise swap the page in)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": SIGN_IN})
    return RedirectResponse(SIGN_IN, status_code=303)


def error_page(request: Request, status: int, message: str) -> Response:
    """The message in a page, with the navigation when the viewer is signed in."""
    session = getattr(request.state, "web_session", None)
    return page(request, "error.html", status, status=status, message=message, session=session)


def _status(exc: StoreError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422 if isinstance(exc, Invalid) else 400


def _bad_address(request: Request, exc: RequestValidationError) -> Response:
    """A malformed id in the path is a page that does not exist; a bad query value is a 400."""
    problems = [(str(e["loc"][0]), str(e["loc"][-1]), str(e["msg"])) for e in exc.errors()]
    if any(where == "path" for where, _, _ in problems):
        return error_page(request, 404, "there is no such page")
    detail = "; ".join(f"{name}: {message}" for _, name, message in problems)
    return error_page(request, 400, f"this address has a value the page cannot use ({detail})")


class WebRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return to_sign_in(request)
            except Refused as exc:
                return error_page(request, 403, str(exc))
            except StoreError as exc:
                return error_page(request, _status(exc), str(exc))
            except RequestValidationError as exc:
                return _bad_address(request, exc)

        return guarded


def wants_page(request: Request) -> bool:
    """A browser asking for a page (it accepts HTML), not a client of the API."""
    accepted = request.headers.get("accept", "")
    return "text/html" in accepted and not request.url.path.startswith(API_PREFIX)


def install(app: FastAPI) -> None:
    """Wrap the app's handler of HTTP errors (the API's, installed first): a 404 or 405 for a
    browser becomes the HTML error page; anything else goes on to the API's handler."""
    api_handler = app.exception_handlers[HTTPException]

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in _NO_ROUTE and wants_page(request):
            request.state.web_session = await signed_in(request)
            return error_page(request, exc.status_code, _NO_ROUTE[exc.status_code])
        response = api_handler(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(HTTPException, handler)
