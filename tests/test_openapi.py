"""The API describes itself: OpenAPI 3.1 and interactive docs, served locally."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_lists_every_router_and_the_bearer_scheme() -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    paths = set(spec["paths"])
    for path in (
        "/api/v1/areas/",
        "/api/v1/areas/locate",
        "/api/v1/areas/{code}",
        "/api/v1/access/tokens",
        "/api/v1/access/users",
        "/api/v1/audit/",
    ):
        assert path in paths
    assert "BearerToken" in spec["components"]["securitySchemes"]


def test_the_interactive_docs_page_is_served() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
