"""List and detail endpoints stay within their query budgets whatever the page size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.factories import Net

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/api/v1/areas/?limit=500", 8),
        ("/api/v1/areas/330122001001001", 9),
        ("/api/v1/areas/locate?lon=120.1&lat=30.5", 8),
        ("/api/v1/audit/?limit=500", 8),
        ("/api/v1/access/grants?limit=500", 8),
        ("/api/v1/access/users?limit=500", 9),
    ],
)
def test_budget(
    client_as: ClientAs, net: Net, url: str, budget: int, django_assert_max_num_queries: Any
) -> None:
    client = client_as("admin")
    client.get(url)  # warm the locate index and the session
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200
