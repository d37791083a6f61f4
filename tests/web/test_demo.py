"""The demo's routing rules and sample matters, on the small test net (the demo's own net is the same
code at county scale; `onegrid demo` itself is run in tests/cli)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import Net

from onegrid.matters import catalogue, routing
from onegrid.matters.models import Category, Matter
from onegrid.web import demo

pytestmark = pytest.mark.django_db


def route(code: str, area_path: str) -> str:
    category = Category.objects.get(code=code)
    rule = routing.best(
        list(catalogue.current().rules), routing.Case(category.pk, category.parent_id, area_path, "", "")
    )
    assert rule is not None
    return rule.organisation.name


def test_each_kind_of_matter_goes_to_the_office_that_handles_it(net: Net, client_as: Any) -> None:
    demo.load_people()
    assert demo.load_routing() > 0
    assert route("garbage", net.grid_a1.path) == "桐庐县城市管理局"
    assert route("lost-person", net.grid_a1.path) == "桐庐县公安局"
    assert route("neighbour-dispute", net.grid_a1.path) == "城南街道综治中心"  # stays in the township
    assert route("neighbour-dispute", net.grid_b1.path) == "旧县街道综治中心"
    assert demo.load_routing() == 0  # once


def test_the_sample_is_a_year_of_matters_loaded_once(net: Net, client_as: Any) -> None:
    demo.load_people()
    demo.load_routing()
    assert demo.load_sample(300) == 300
    assert demo.load_sample(300) == 0
    matters = Matter.objects.all()
    assert all(m.number.startswith("G") for m in matters)  # generated, never taken for real reports
    assert matters.filter(owner__name="城南街道综治中心").exists()
    board = client_as("county").get("/centre/dashboard/data.json?days=365").json()
    assert board["figures"]["total"] == 300
    assert board["figures"]["resolved_locally_share"] > 0
