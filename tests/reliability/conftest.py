"""The reliability suites borrow the Open311 fixtures (an integrator with its api_key, a category with a
service definition) for fuzzing the Open311 endpoints."""

from tests.open311.conftest import api_key, desk, integrator, manhole  # noqa: F401
