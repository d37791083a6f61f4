"""The back office of the one net: the routing rule tester (a sample point and category, the rules in
force, a draft rule tried beside them, nothing saved) and the checks on categories."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.factories import Net
from tests.matters.conftest import Desk

from onegrid.matters.models import Category, RoutingRule

pytestmark = pytest.mark.django_db
URL = "/admin/matters/routingrule/test/"


@pytest.fixture
def staff(people: dict[str, Any]) -> Client:
    admin = people["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin)
    return client


def sample(**extra: Any) -> dict[str, Any]:
    return {
        "category": Category.objects.get(code="garbage").pk,
        "lon": "120.1",
        "lat": "30.5",
        "crs": "wgs84",
        "priority": "normal",
        "channel": "hotline_12345",
    } | extra


def test_the_sample_point_is_located_and_routed_by_the_most_specific_rule(
    staff: Client, desk: Desk, net: Net
) -> None:
    page = staff.post(URL, sample()).content.decode()
    assert "rule-test-result" in page
    assert f"Routed to {desk.department}</strong>" in page.split("Rules in force", 1)[1]


def test_a_draft_rule_shows_where_the_sample_would_go_and_nothing_is_saved(
    staff: Client, desk: Desk, net: Net
) -> None:
    before = RoutingRule.objects.count()
    draft = {
        "draft_category": Category.objects.get(code="garbage").pk,
        "draft_area": net.township_a.code,
        "draft_organisation": desk.township_centre.pk,
    }
    page = staff.post(URL, sample(**draft)).content.decode()
    in_force, with_draft = page.split("With the draft rule", 1)
    assert f"Routed to {desk.department}</strong>" in in_force
    assert f"Routed to {desk.township_centre}</strong> (the draft rule)" in with_draft
    assert "The draft changes where this sample goes." in with_draft
    assert RoutingRule.objects.count() == before


def test_a_draft_that_would_tie_is_shown_as_a_tie(staff: Client, desk: Desk, net: Net) -> None:
    draft = {
        "draft_category": Category.objects.get(code="city-appearance").pk,
        "draft_area": net.county.code,
        "draft_organisation": desk.county_centre.pk,
    }
    page = staff.post(URL, sample(**draft)).content.decode()
    assert "Tie:" in page.split("With the draft rule", 1)[1]


def test_a_saved_rule_can_be_tried_with_changes_from_its_page(staff: Client, desk: Desk) -> None:
    rule = RoutingRule.objects.get(organisation=desk.department)
    change = staff.get(f"/admin/matters/routingrule/{rule.pk}/change/").content.decode()
    assert f"{URL}?rule={rule.pk}" in change
    form = staff.get(f"{URL}?rule={rule.pk}").content.decode()
    assert f'<option value="{rule.pk}" selected>' in form


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"lon": "10.0", "lat": "10.0"}, "lies in no grid"),
        ({"lon": "", "lat": "", "area": "999999"}, "No area has the code 999999"),
        ({"lon": "", "lat": ""}, "Give a point"),
        ({"lon": "200"}, "less than or equal to 180"),
        ({"draft_area": "330122001"}, "needs the organisation"),
    ],
    ids=[
        "outside-the-net",
        "unknown-area",
        "no-location",
        "longitude-out-of-range",
        "draft-without-organisation",
    ],
)
def test_bad_samples_are_explained_on_the_form(
    staff: Client, desk: Desk, extra: dict[str, Any], message: str
) -> None:
    response = staff.post(URL, sample(**extra))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "rule-test-result" not in page


def test_only_the_back_office_can_test(client_as: Any, desk: Desk) -> None:
    response = client_as("county").get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


CATEGORY_FORM = {
    "code": "pothole",
    "name": "道路坑洼",
    "name_en": "Pothole",
    "description": "",
    "default_priority": "normal",
    "keywords": "",
    "is_active": "on",
    "position": "0",
}


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ('{"code": "DEPTH"}', "must be a list"),
        ('[{"code": "DEPTH", "datatype": "numbr"}]', "datatype"),
        ('[{"code": "DEPTH", "datatype": "number", "requried": true}]', "requried"),
        ('[{"code": "KIND", "datatype": "singlevaluelist"}]', "values"),
    ],
    ids=["not-a-list", "unknown-datatype", "misspelt-key", "list-without-values"],
)
def test_a_category_with_malformed_open311_questions_is_refused(
    staff: Client, attributes: str, problem: str
) -> None:
    parent = Category.objects.get(code="city-appearance").pk
    response = staff.post(
        "/admin/matters/category/add/", CATEGORY_FORM | {"parent": parent, "attributes": attributes}
    )
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not Category.objects.filter(code="pothole").exists()


def test_a_category_with_well_formed_questions_is_saved(staff: Client) -> None:
    attributes = '[{"code": "DEPTH", "datatype": "number", "required": true, "description": "深度(cm)"}]'
    parent = Category.objects.get(code="city-appearance").pk
    response = staff.post(
        "/admin/matters/category/add/", CATEGORY_FORM | {"parent": parent, "attributes": attributes}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Category.objects.get(code="pothole").attributes[0]["code"] == "DEPTH"


def test_categories_have_two_levels(staff: Client) -> None:
    leaf = Category.objects.get(code="garbage").pk
    response = staff.post(
        "/admin/matters/category/add/", CATEGORY_FORM | {"parent": leaf, "attributes": "[]"}
    )
    assert "two levels" in response.content.decode()
    assert not Category.objects.filter(code="pothole").exists()
