"""Property-based API testing over the whole OpenAPI with schemathesis, as every role.

Bounded for CI: a few examples per operation, generation only (no shrinking); set
TAIZHANG_FUZZ_EXAMPLES for a deeper run. Checks: no 5xx, and every response matches its schema.
The admin walks every operation; the other roles walk every read (their writes are covered
exhaustively by tests/platform/test_roles.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("TAIZHANG_FUZZ_EXAMPLES", "3"))


def fuzz(app: Any, headers: dict[str, str], *, methods: set[str], examples: int) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in methods:
            continue
        operations += 1

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except Exception as exc:
                failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:600]}")
                raise

        with contextlib.suppress(Exception):  # already recorded; keep walking the other operations
            run()
    return operations, failures


@pytest.fixture
def seeded(client: TestClient) -> int:
    unit = client.post(
        "/api/v1/inventory/units", json={"code": "F1", "name": "模糊测试局", "kind": "township"}
    )
    client.post(
        "/api/v1/inventory/systems",
        json={"catalogue_number": "F-1", "name": "系统", "owner_unit_id": unit.json()["id"]},
    )
    return int(unit.json()["id"])


def test_every_operation_as_admin(seeded: int, app: Any, client: TestClient) -> None:
    operations, failures = fuzz(
        app, dict(client.headers), methods={"GET", "POST", "PATCH", "DELETE", "PUT"}, examples=EXAMPLES
    )
    assert operations > 30
    assert failures == [], "\n".join(failures[:20])


@pytest.mark.parametrize("role", ["ops", "security", "unit", "auditor"])
def test_every_read_as_each_role(
    role: str, seeded: int, app: Any, make_user: Callable[..., dict[str, str]]
) -> None:
    headers = make_user(f"fuzz_{role}", role, (seeded,) if role == "unit" else ())
    operations, failures = fuzz(app, headers, methods={"GET"}, examples=2)
    assert operations > 10
    assert failures == [], "\n".join(failures[:20])
