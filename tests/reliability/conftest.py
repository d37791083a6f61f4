"""Shared by the reliability suites: a live site on the database the suite runs on, and the Open311
fixtures (an integrator with its api_key, a category with a service definition) for fuzzing Open311."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import need_service
from tests.open311.conftest import api_key, desk, integrator, manhole  # noqa: F401
from tests.reliability.livesite import LiveSite


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveSite]:
    """A real installation on SQLite, or (in the PostgreSQL pass) on a fresh database of that server."""
    postgres = ""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        postgres = os.environ.get("ONEGRID_POSTGRES_URL", "")
        need_service(
            bool(postgres), "PostgreSQL not configured (set ONEGRID_POSTGRES_URL; .ci/run starts one)"
        )
    live = LiveSite(tmp_path, postgres)
    try:
        yield live
    finally:
        live.close()
