"""Discovery, the service list and service definitions, in both formats."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.open311.conftest import BASE, errors_of, get, json_of, xml_of

from onegrid.matters.models import Category

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery_names_the_endpoint_its_formats_and_how_to_get_a_key(fmt: str) -> None:
    response = get(Client(), f"discovery.{fmt}")
    assert response.status_code == 200
    body = xml_of(response) if fmt == "xml" else json_of(response)
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert "matters.report" in body["key_service"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "test"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_the_root_and_suffixless_paths_answer_in_xml_the_required_format() -> None:
    assert "endpoints" in xml_of(Client().get(BASE))
    assert isinstance(xml_of(get(Client(), "services")), list)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_services_are_the_active_leaf_categories_with_their_group(fmt: str, manhole: Category) -> None:
    Category.objects.filter(code="noise").update(is_active=False)
    response = get(Client(), f"services.{fmt}", jurisdiction_id="anything.example")
    body = xml_of(response) if fmt == "xml" else json_of(response)
    codes = [s["service_code"] for s in body]
    assert "garbage" in codes
    assert "manhole-cover" in codes
    assert "noise" not in codes  # inactive
    assert "city-appearance" not in codes  # a group, not a service
    by_code = {s["service_code"]: s for s in body}
    cover = by_code["manhole-cover"]
    assert list(cover) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    true, false = ("true", "false") if fmt == "xml" else (True, False)
    assert cover["service_name"] == "井盖缺失破损"
    assert cover["metadata"] == true
    assert cover["type"] == "realtime"
    assert cover["keywords"] == "manhole, cover, 井盖"
    assert cover["group"] == "安全隐患"
    assert by_code["garbage"]["metadata"] == false


def test_names_are_english_when_the_client_asks_for_english(manhole: Category) -> None:
    body = json_of(Client().get(f"{BASE}services.json", headers={"Accept-Language": "en"}))
    cover = next(s for s in body if s["service_code"] == "manhole-cover")
    assert (cover["service_name"], cover["group"]) == ("Missing or broken manhole cover", "Safety hazards")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_service_definition_lists_its_attributes_in_order(fmt: str, manhole: Category) -> None:
    response = get(Client(), f"services/manhole-cover.{fmt}")
    assert response.status_code == 200
    body = xml_of(response) if fmt == "xml" else json_of(response)
    assert body["service_code"] == "manhole-cover"
    attributes = body["attributes"]
    assert [a["code"] for a in attributes] == ["DEPTH", "COVER", "NEAR", "SEEN_AT", "WARNING"]
    cover = attributes[1]
    assert list(cover) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert cover["values"] == [{"key": "missing", "name": "Missing"}, {"key": "broken", "name": "Broken"}]
    if fmt == "json":
        assert (cover["required"], cover["order"], attributes[4]["variable"]) == (True, 2, False)
        assert "values" not in attributes[0]
    else:
        assert (cover["required"], cover["order"], attributes[4]["variable"]) == ("true", "2", "false")


def test_a_service_without_attributes_has_an_empty_definition() -> None:
    body = json_of(get(Client(), "services/garbage.json"))
    assert body == {"service_code": "garbage", "attributes": []}
    assert xml_of(get(Client(), "services/garbage.xml")) == {"service_code": "garbage", "attributes": []}


def test_the_singular_path_of_pypi_open311_is_understood(manhole: Category) -> None:
    assert json_of(get(Client(), "service/manhole-cover.json"))["service_code"] == "manhole-cover"


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("code", ["no-such-service", "city-appearance"])
def test_an_unknown_service_code_or_a_group_is_404(fmt: str, code: str) -> None:
    response = get(Client(), f"services/{code}.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt) == [{"code": 404, "description": f"service_code {code!r} not found"}]


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ({"code": "X", "datatype": "colour"}, "datatype must be one of"),
        ({"code": "X", "datatype": "string", "requried": True}, "unknown key(s) requried"),
        ({"code": "X", "datatype": "singlevaluelist"}, "needs a non-empty list of values"),
        ({"code": "bad code", "datatype": "string"}, "code must be"),
        ({"code": "X", "datatype": "string", "order": 0}, "order must be a positive whole number"),
        ({"code": "X", "datatype": "number", "required": "yes"}, "required must be true or false"),
    ],
)
def test_a_misconfigured_definition_is_a_400_saying_what_is_wrong(
    stored: dict[str, Any], problem: str
) -> None:
    Category.objects.filter(code="garbage").update(attributes=[stored])
    response = get(Client(), "services/garbage.json")
    assert response.status_code == 400
    descriptions = [e["description"] for e in errors_of(response, "json")]
    assert "misconfigured" in descriptions[0]
    assert any(problem in d for d in descriptions[1:]), descriptions


def test_an_unknown_format_is_404_in_xml() -> None:
    response = get(Client(), "services.html")
    assert response.status_code == 404
    assert errors_of(response, "xml")[0]["code"] == 404


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_method_a_resource_does_not_have_is_405_in_the_spec_format(fmt: str) -> None:
    response = Client().post(f"{BASE}services.{fmt}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert errors_of(response, fmt)[0]["code"] == 405
