"""Property test from the published OpenAPI spec (schemathesis): no operation, with any
generated input, as any of three callers, answers with a 5xx. Bounded: a few examples each."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.server.conftest import Env

EXAMPLES = 6


def test_no_operation_answers_5xx(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner)
    callers = {
        "licensor_admin": env.admin,
        "factory": env.credential("factory", partner_id=partner),
        "anonymous": {},
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            for name, headers in callers.items():
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        f"{name} {case.method} {case.formatted_path} -> "
                        f"{response.status_code}: {response.text[:200]}"
                    )

        check()
    if failures:
        pytest.fail("\n".join(sorted(set(failures))[:20]))
