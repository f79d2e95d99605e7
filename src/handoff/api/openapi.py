"""The OpenAPI document, adjusted to say what the API really sends.

FastAPI describes error models as application/json; here every 4xx/5xx response is
application/problem+json with the Problem schema, and unknown routes, wrong methods and
oversized bodies are documented where they can happen.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from handoff.api.problems import MEDIA_TYPE

_PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}


def document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    if code[0] in "45":
                        response["content"] = {MEDIA_TYPE: _PROBLEM}
        app.openapi_schema = schema
    return app.openapi_schema
