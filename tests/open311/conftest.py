"""Open311 fixtures: an integrator (a FixMyStreet-like client) with its api_key, a county operator's key,
a category with a service definition, and helpers that speak the spec's two formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import Client
from tests.factories import Net, make_user
from tests.matters.conftest import desk  # noqa: F401  (the county desk with its routing rules)

from onegrid.access.models import User
from onegrid.access.services import create_token
from onegrid.matters.models import Category

BASE = "/open311/v2/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
IN_GRID_A1 = {"lat": "30.5", "long": "120.1"}  # the west quarter of the county: grid 330122001001001

DEFINITION: list[dict[str, Any]] = [
    {"code": "DEPTH", "datatype": "number", "required": True, "order": 1, "description": "How deep (cm)?"},
    {
        "code": "COVER",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 2,
        "description": "What happened to the cover?",
        "values": [{"key": "missing", "name": "Missing"}, {"key": "broken", "name": "Broken"}],
    },
    {
        "code": "NEAR",
        "datatype": "multivaluelist",
        "order": 3,
        "description": "What is near it?",
        "values": [{"key": "school", "name": "A school"}, {"key": "road", "name": "A main road"}],
    },
    {"code": "SEEN_AT", "datatype": "datetime", "order": 4, "description": "When did you see it?"},
    {"code": "WARNING", "datatype": "string", "variable": False, "order": 5, "description": "Keep away"},
]


@pytest.fixture
def integrator(net: Net) -> User:
    """The account a FixMyStreet-like client posts as: a resident grant over the province."""
    return make_user("fixmystreet", role="resident", area=net.province)


@pytest.fixture
def api_key(integrator: User) -> str:
    _, text = create_token(actor=None, user=integrator, name="FixMyStreet", permissions=["matters.report"])
    return text


@pytest.fixture
def staff_key(people: dict[str, Any]) -> str:
    """A county operator's key that reads in full (matters.view) and takes in (matters.create)."""
    _, text = create_token(
        actor=None, user=people["county"], name="county desk", permissions=["matters.view", "matters.create"]
    )
    return text


@pytest.fixture
def manhole(db: Any) -> Category:
    category = Category.objects.get(code="manhole-cover")
    category.attributes = DEFINITION
    category.description = "A manhole cover is missing or broken"
    category.keywords = "manhole, cover, 井盖"
    category.save()
    return category


def fms_fields(api_key: str, **extra: Any) -> dict[str, Any]:
    """What FixMyStreet's Open311.pm posts for a report (perllib/Open311.pm,
    _populate_service_request_params): jurisdiction_id and api_key in the body, truncated coordinates,
    an extended description (title/detail/url), names split on the first space, no title field."""
    return {
        "jurisdiction_id": "fixmystreet.example",
        "api_key": api_key,
        "service_code": "garbage",
        "lat": "30.5",
        "long": "120.1",
        "email": "pat@example.org",
        "description": "title: 小区门口垃圾无人清运\n\ndetail: 已经三天了\n\nurl: https://fms.example/report/17\n\n"
        "Submitted via FixMyStreet\n",
        "first_name": "Pat",
        "last_name": "Smith",
        "phone": "13800138000",
        "media_url": "https://fms.example/photo/17.full.jpeg",
    } | extra


def post_form(client: Client, fields: dict[str, Any], fmt: str = "xml", **headers: Any) -> HttpResponse:
    """A form-encoded POST, as the spec and FixMyStreet send it."""
    body = urlencode(fields, doseq=True)
    return client.post(f"{BASE}requests.{fmt}", body, content_type=FORM, headers=headers)  # type: ignore[return-value]


def get(client: Client, path: str, **params: Any) -> HttpResponse:
    return client.get(BASE + path, params)  # type: ignore[return-value]


def element_to_python(element: ET.Element) -> Any:
    """An element as JSON would have it: children by name, repeated children as a list."""
    children = list(element)
    if not children and element.tag not in PLURALS:
        return element.text or ""
    if element.tag in PLURALS:
        return [element_to_python(c) for c in children]
    return {c.tag: element_to_python(c) for c in children}


PLURALS = {
    "services",
    "attributes",
    "values",
    "endpoints",
    "formats",
    "service_requests",
    "service_request_updates",
    "errors",
}


def xml_of(response: HttpResponse) -> Any:
    """Parses the XML body (which must be well-formed, declared UTF-8, without a namespace)."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)  # noqa: S314  (our own output, in a test)
    assert "}" not in root.tag
    return element_to_python(root)


def json_of(response: HttpResponse) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def errors_of(response: HttpResponse, fmt: str) -> list[dict[str, Any]]:
    """The spec's error document, in either format, with the codes as numbers."""
    body = xml_of(response) if fmt == "xml" else json_of(response)
    assert isinstance(body, list)
    assert body
    return [{"code": int(e["code"]), "description": e["description"]} for e in body]
