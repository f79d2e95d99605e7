"""Stateful fuzzing of the running API: sequences of calls that follow the links between
operations (a created user's id into a rotation's participants, a rotation's id into its
edits, deletes and feeds), as an admin.

Schemathesis infers the links from the OpenAPI document. On top of its checks (no 500, every
response as documented), every refused request must leave every table as it was: no partial
write. tests/api/test_schemathesis.py fuzzes each operation alone; this follows chains.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.stateful import run_state_machine_as_test

from handoff.config import Settings
from handoff.http.app import create_app

from .conftest import Secured

SCENARIOS = 60
STEPS_PER_SCENARIO = 8
# Hypothesis stops a run when a chain's choices, replayed, meet another server state (see the
# settings below); the run then goes on with a fresh choice tree, this many times at most.
RUNS = 5

schema = schemathesis.openapi.from_dict(create_app(Settings(), "postgresql://unused").openapi())
Workflow = schema.as_state_machine()


def test_call_chains_never_fail_and_refusals_write_nothing(secured: Secured) -> None:
    failures: list[str] = []  # collected, not raised: a chain cannot be replayed (see below)
    refused: list[int] = []
    linked: list[str] = []  # accepted calls on an existing resource: ids from earlier calls
    scenarios: list[int] = []  # one entry per chain run to its end

    class Chains(Workflow):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {
                "base_url": secured.api.base_url,
                "headers": {"Authorization": f"Bearer {secured.api.token}"},
            }

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Any:
            before = secured.counts()
            response = super().call(case, **kwargs)
            if response.status_code < 400 and "{" in case.path:
                linked.append(f"{case.method} {case.path}")
            if response.status_code >= 400:
                refused.append(response.status_code)
                if secured.counts() != before:
                    failures.append(f"partial write: {case.method} {case.path} {response.text}")
            return response

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            try:
                case.validate_response(
                    response, excluded_checks=[schemathesis.checks.positive_data_acceptance]
                )
            except Exception as exc:  # schemathesis' FailureGroup: every failed check
                failures.append(f"{case.method} {case.path} {case.body!r}: {exc}")

        def teardown(self) -> None:
            scenarios.append(1)
            super().teardown()

    for _ in range(RUNS):
        try:
            run_state_machine_as_test(
                Chains,
                settings=settings(
                    max_examples=SCENARIOS - len(scenarios),
                    stateful_step_count=STEPS_PER_SCENARIO,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    # Chains run against a live database whose state moves on, so hypothesis
                    # cannot replay or shrink a failing chain, and a choice it made before may
                    # meet a different response (FlakyStrategyDefinition): failures are
                    # collected as found and asserted below, and a run Hypothesis stops for
                    # that reason goes on afresh.
                    phases=[Phase.generate],
                ),
            )
            break
        except FlakyStrategyDefinition:
            if len(scenarios) >= SCENARIOS:
                break
    assert len(scenarios) >= SCENARIOS / 2, f"only {len(scenarios)} chains ran to their end"
    assert not failures, "\n".join(failures[:5])
    assert refused, "no request was refused: the no-partial-write check never ran"
    assert linked, "no call reached an existing resource: the links were not followed"
    log = secured.log.read_text(errors="replace")
    assert "Traceback" not in log
    assert all(secret not in log for secret in secured.secrets())
