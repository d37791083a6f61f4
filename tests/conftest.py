"""Fixtures shared by every app's tests: a small hand-made net, people with grants, API clients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
from django.test import Client
from tests.factories import Net, build_net, make_user

from onegrid.audit import maintenance

REQUIRE_SERVICES = os.environ.get("ONEGRID_REQUIRE_SERVICES") == "1"

# The machines are shared and noisy: property tests check behaviour, never speed (that is bench/'s job).
hypothesis.settings.register_profile("onegrid", deadline=None, print_blob=True)
hypothesis.settings.load_profile("onegrid")


@pytest.fixture(autouse=True, scope="session")
def check_answers() -> None:
    """Every answer the API renders from a dictionary is validated against its schema (kit.answers)."""
    from django.conf import settings

    settings.CHECK_ANSWERS = True


def need_service(available: bool, reason: str) -> None:
    """Skip on a developer's machine; fail in CI (ONEGRID_REQUIRE_SERVICES=1)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _audit_append_only(request: pytest.FixtureRequest) -> Iterator[None]:
    """Audit records stay append-only during every test; a transactional test's database is emptied
    afterwards, which needs the maintenance switch (see onegrid.audit.maintenance)."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in names:
        request.getfixturevalue("db")
    else:
        yield
        return
    maintenance.set_maintenance(False)
    yield
    if transactional:
        maintenance.set_maintenance(True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def net(db: Any) -> Net:
    return build_net()


@pytest.fixture
def people(net: Net) -> dict[str, Any]:
    """One user per standard role, granted where the demo grants them."""
    return {
        "admin": make_user("admin", role="administrator", area=net.province),
        "county": make_user("county", role="county_operator", area=net.county),
        "township": make_user("township", role="township_operator", area=net.township_a),
        "township_b": make_user("township_b", role="township_operator", area=net.township_b),
        "gridworker": make_user("gridworker", role="grid_worker", area=net.grid_a1),
        "manager": make_user("manager", role="area_manager", area=net.county),
        "resident": make_user("resident", role="resident", area=net.province),
        "nobody": make_user("nobody"),
        "auditor": make_user("auditor", role="auditor", area=net.province),
    }


@pytest.fixture
def client_as(people: dict[str, Any]) -> Callable[[str | None], Client]:
    def make(name: str | None) -> Client:
        client = Client()
        if name is not None:
            client.force_login(people[name])
        return client

    return make
