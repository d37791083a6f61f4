"""A county desk for matters: command centres, a department, its handler, and routing rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from tests.factories import Net, make_user

from onegrid.access.models import Membership, Organisation, User
from onegrid.matters.models import Category, RoutingRule


@dataclass
class Desk:
    county_centre: Organisation
    township_centre: Organisation
    department: Organisation
    handler: User
    other_handler: User


@pytest.fixture
def desk(net: Net, people: dict[str, Any]) -> Desk:
    return build_desk(net, people)


def build_desk(net: Net, people: dict[str, Any]) -> Desk:
    def org(code: str, name: str, kind: str, area: Any) -> Organisation:
        return Organisation.objects.create(code=code, name=name, kind=kind, area=area, area_path=area.path)

    county_centre = org("cc-330122", "桐庐县社会治理综合指挥中心", "command_centre", net.county)
    township_centre = org("cc-330122001", "城南街道综治中心", "command_centre", net.township_a)
    department = org("cg-330122", "县城市管理局", "department", net.county)
    other = org("sl-330122", "县水利局", "department", net.county)
    handler = make_user("handler", role="department_handler", area=net.county)
    other_handler = make_user("other_handler", role="department_handler", area=net.county)
    Membership.objects.create(user=handler, organisation=department)
    Membership.objects.create(user=other_handler, organisation=other)
    Membership.objects.create(user=people["county"], organisation=county_centre)
    Membership.objects.create(user=people["township"], organisation=township_centre)
    RoutingRule.objects.create(
        category=Category.objects.get(code="city-appearance"),
        organisation=department,
        area=net.county,
        area_path=net.county.path,
    )
    RoutingRule.objects.create(
        category=None, organisation=county_centre, area=net.county, area_path=net.county.path
    )
    return Desk(county_centre, township_centre, department, handler, other_handler)
