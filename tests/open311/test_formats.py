"""Whatever was stored or sent, the XML stays well-formed and nothing reads as markup in either format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from tests.matters.conftest import Desk
from tests.open311.conftest import errors_of, fms_fields, get, json_of, post_form, xml_of

from onegrid.matters.models import Category
from onegrid.open311 import formats

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script> & <b>bold</b>'


def test_html_in_a_description_is_text_in_xml_and_json(desk: Desk, api_key: str) -> None:
    number = json_of(post_form(Client(), fms_fields(api_key, description=SCRIPT), fmt="json"))[0][
        "service_request_id"
    ]
    as_xml = get(Client(), f"requests/{number}.xml", api_key=api_key)
    assert b"<script>" not in as_xml.content
    assert b"&lt;script&gt;" in as_xml.content
    assert xml_of(as_xml)[0]["description"] == SCRIPT

    as_json = get(Client(), f"requests/{number}.json", api_key=api_key)
    assert b"<" not in as_json.content
    assert b">" not in as_json.content
    assert b"&" not in as_json.content
    assert json_of(as_json)[0]["description"] == SCRIPT


def test_markup_in_configured_names_and_echoed_input_is_escaped_too(desk: Desk) -> None:
    Category.objects.filter(code="garbage").update(name=SCRIPT, description=SCRIPT)
    services = get(Client(), "services.xml")
    assert b"<script>" not in services.content
    garbage = next(s for s in xml_of(services) if s["service_code"] == "garbage")
    assert garbage["service_name"] == garbage["description"] == SCRIPT
    assert b"<script>" not in get(Client(), "services.json").content

    for fmt in ("xml", "json"):
        response = get(Client(), f"services/<script>.{fmt}")
        assert response.status_code == 404
        assert b"<script>" not in response.content
        assert errors_of(response, fmt)[0]["description"] == "service_code '<script>' not found"


def test_characters_xml_cannot_carry_are_replaced_so_the_document_parses(desk: Desk, api_key: str) -> None:
    text = "bell\x07 vertical-tab\x0b form-feed\x0c line\nbreak"
    number = json_of(post_form(Client(), fms_fields(api_key, description=text), fmt="json"))[0][
        "service_request_id"
    ]
    description = xml_of(get(Client(), f"requests/{number}.xml", api_key=api_key))[0]["description"]
    assert description == "bell\ufffd vertical-tab\ufffd form-feed\ufffd line\nbreak"
    assert json_of(get(Client(), f"requests/{number}.json", api_key=api_key))[0]["description"] == text


def test_the_writers_follow_the_spark_convention() -> None:
    document = {"a": True, "b": None, "formats": ["text/xml", "application/json"], "n": 1.5}
    root = ET.fromstring(formats.to_xml("discovery", document))  # noqa: S314  (our own output)
    assert [(e.tag, e.text) for e in root] == [("a", "true"), ("formats", None), ("n", "1.5")]
    listed = root.find("formats")
    assert listed is not None
    assert [f.text for f in listed] == ["text/xml", "application/json"]
    assert json.loads(formats.to_json(document)) == document
    assert formats.to_xml("errors", []).endswith(b"<errors />")
