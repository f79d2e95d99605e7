"""Every error as RFC 9457 problem+json, and the OpenAPI description of those responses.

Client mistakes map to 4xx with a readable detail (validation errors name each field); a
database that is away is a quick 503; anything else is logged with its stack trace and
answered with a generic 500 that reveals nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException

from handoff import logs
from handoff.api.schemas import FieldProblem, Problem
from handoff.store.errors import Conflict, Invalid, NotFound

MEDIA_TYPE = "application/problem+json"
log = logs.Logger("handoff.api")


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def problem(
    status: int,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, errors=errors)
    return ProblemResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=dict(headers or {})
    )


def _field(loc: tuple[int | str, ...]) -> str:
    """`body.participants.0` -> `participants.0`; query and path parameters by their names."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _literal_methods(app: FastAPI, path: str) -> set[str]:
    """The methods of a parameterless route at exactly `path` (none if there is no such route)."""
    operations = app.openapi().get("paths", {}).get(path, {})
    return {m.upper() for m in operations} if "{" not in path else set()


async def _validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    literal = _literal_methods(request.app, request.url.path)
    if literal and request.method not in literal:
        # `PATCH /rotations/preview` matched `/rotations/{rotation_id}`; the literal path wins.
        allowed = ", ".join(sorted(literal))
        return problem(
            405,
            f"{request.method} is not allowed here; allowed: {allowed}",
            headers={"Allow": allowed},
        )
    errors = [
        FieldProblem(field=_field(tuple(e.get("loc", ()))), message=_message(e))
        for e in exc.errors()
    ]
    return problem(422, "the request is not valid", errors=errors)


def _message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, without the "Value error, " it puts before our validators' own."""
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


async def _invalid(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Invalid)
    errors = [FieldProblem(field=e.field, message=e.message) for e in exc.errors]
    return problem(422, str(exc), errors=errors)


async def _not_found(request: Request, exc: Exception) -> ProblemResponse:
    return problem(404, str(exc))


async def _conflict(request: Request, exc: Exception) -> ProblemResponse:
    return problem(409, str(exc))


def _allowed(app: FastAPI, path: str) -> str:
    """Every method the app serves at `path`, from its OpenAPI paths (Starlette's 405 names
    only the first route it tried)."""
    paths = app.openapi().get("paths", {})
    if path in paths:  # a literal path wins over templates that also match it
        return ", ".join(sorted(m.upper() for m in paths[path]))
    methods: set[str] = set()
    for template, operations in paths.items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods.update(m.upper() for m in operations)
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.url.path}"
    if exc.status_code == 400:  # FastAPI could not read the body (not JSON, not UTF-8)
        errors = [FieldProblem(field="body", message=detail)]
        return problem(422, "the request body could not be parsed", errors=errors)
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request.app, request.url.path)
        detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    return problem(exc.status_code, detail, headers=headers)


async def _unavailable(request: Request, exc: Exception) -> ProblemResponse:
    log.warning("database unavailable", error=str(exc), path=request.url.path)
    return problem(503, "the database is not available; try again shortly")


async def _raced(request: Request, exc: Exception) -> ProblemResponse:
    """A concurrent change won (a user deleted while being added, a deadlock broken by the
    server): the request changed nothing and may be retried."""
    log.info("request lost a race", error=str(exc), path=request.url.path)
    if isinstance(exc, psycopg.errors.IntegrityError):
        return problem(409, "a concurrent change conflicts with this request; nothing was changed")
    return problem(503, "the database broke off this request; it changed nothing, retry it")


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error", path=request.url.path, method=request.method)
    return problem(500, "an internal error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Invalid, _invalid)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(PoolTimeout, _unavailable)
    app.add_exception_handler(psycopg.errors.IntegrityError, _raced)
    app.add_exception_handler(psycopg.errors.TransactionRollback, _raced)
    app.add_exception_handler(psycopg.OperationalError, _unavailable)
    app.add_exception_handler(Exception, _unexpected)


_DESCRIPTIONS = {
    401: "No token, or a token that is not valid.",
    403: "The token's role may not do this.",
    404: "No such resource.",
    409: "The request conflicts with existing data.",
    413: "The request body is too large.",
    422: "The request is not valid; `errors` names each field.",
    503: "The database is not available.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the given error codes (503 always: every route reads the database).

    `model` registers the Problem schema; `openapi.problem_media_types` then moves each to
    application/problem+json.
    """
    return {
        code: {"model": Problem, "description": _DESCRIPTIONS[code]}
        for code in sorted({*codes, 503})
    }
