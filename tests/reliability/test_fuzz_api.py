"""API fuzzing: schemathesis generates requests for every operation of /api/v1/openapi.json, valid and
invalid, and sends them in process (WSGI) as an administrator holding every permission. No answer may
be a 5xx, and every answer must match the schema the API publishes (status codes, content types, bodies).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks as openapi_checks
from tests.factories import Net

from onegrid.access import catalog, services

# Examples per operation: enough to reach the validation paths in every run, many more in CI.
EXAMPLES = 40 if os.environ.get("ONEGRID_SLOW") else 12
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.status_code_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Requests reach Django through WSGI here, whose end-of-request signal closes the database
    connection (as in production); the test's transaction lives on that connection, so it is kept
    open, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(net: Net, people: dict[str, Any]) -> dict[str, str]:
    _row, text = services.create_token(
        actor=None, user=people["admin"], name="fuzz", permissions=list(catalog.permissions())
    )
    return {"Authorization": f"Bearer {text}"}


# The schema the API serves, loaded in process; requests go to the same WSGI application.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_no_operation_answers_5xx_or_breaks_its_schema(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)
