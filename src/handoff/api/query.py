"""Refuse query parameters a route does not take: `?rotation=` for `?rotation_id=` is a 422
naming the stray parameter, not a silently unfiltered answer."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import APIKeyQuery

_known: dict[int, frozenset[str]] = {}


def _names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    if isinstance(dependant.call, APIKeyQuery):
        names.add(dependant.call.model.name)
    for child in dependant.dependencies:
        names |= _names(child)
    return names


def _fields(dependant: Dependant, kind: str) -> list[ModelField]:
    """The route's own and its dependencies' parameters of one kind ("query_params", ...)."""
    found: list[ModelField] = list(getattr(dependant, kind))
    for child in dependant.dependencies:
        found.extend(_fields(child, kind))
    return found


def known_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters of a route, its dependencies' included (cached per route)."""
    key = id(route)
    if key not in _known:
        _known[key] = frozenset(_names(route.dependant))
    return _known[key]


async def _body_errors(request: Request, route: APIRoute) -> list[Any]:
    """The body's validation errors, as FastAPI would report them after this dependency."""
    if route.body_field is None:
        return []
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return []  # not JSON: FastAPI refuses such a body before any dependency runs
    _, errors = route.body_field.validate(body, {}, loc=("body",))
    return errors


async def reject_unknown_query(request: Request) -> None:
    """Refuse unknown query parameters, together with every other parameter and body field of
    the request that is not valid (raising here stops FastAPI before it checks those)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - known_parameters(route))
    if unknown:
        _, path_errors = request_params_to_args(
            _fields(route.dependant, "path_params"), request.path_params
        )
        _, query_errors = request_params_to_args(
            _fields(route.dependant, "query_params"), request.query_params
        )
        raise RequestValidationError(
            [
                *path_errors,
                *query_errors,
                *await _body_errors(request, route),
                *(
                    {
                        "loc": ("query", name),
                        "msg": "is not a parameter of this route",
                        "type": "extra",
                    }
                    for name in unknown
                ),
            ]
        )
