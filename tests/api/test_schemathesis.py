"""Property-based tests from /openapi.json (schemathesis): every operation, as an admin.

Generated requests, valid and invalid, must never get a 500, invalid ones must be refused, and
every response must match the documented status codes, content types and schemas. Schemathesis'
`positive_data_acceptance` is left out: it expects every schema-valid request to succeed, but
the API rightly refuses schema-valid requests that break rules a schema cannot state (a cursor
it never issued, `until` before `since`, the participant limit) with a documented 422.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from handoff.config import Settings
from handoff.http.app import create_app

from .conftest import Api, Server

EXAMPLES_PER_OPERATION = 15


# The document the server serves (test_ops checks they are the same routes); loaded at
# collection so that each operation is its own test. Requests go to the running server.
schema = schemathesis.openapi.from_dict(create_app(Settings(), "postgresql://unused").openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, server: Server, api: Api) -> None:
    case.call_and_validate(
        base_url=server.url,
        headers={"Authorization": f"Bearer {api.admin_token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
