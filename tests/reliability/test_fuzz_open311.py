"""Open311 fuzzing: hypothesis throws arbitrary parameters (the spec's names with hostile values, unknown
names, repeated names, odd formats) at every GeoReport v2 endpoint, with and without a valid api_key.
No answer may be a 5xx; every answer is well-formed XML or JSON as asked; every error is the spec's
error document (a list of code and description) with 400, 403 or 404; nothing is written by a refusal.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.open311.conftest import BASE, FORM

from onegrid.matters.models import Matter

pytestmark = pytest.mark.django_db
EXAMPLES = 150 if os.environ.get("ONEGRID_SLOW") else 40

NAMES = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "service_request_id",
    "start_date",
    "end_date",
    "status",
    "page",
    "page_size",
    "extensions",
    "attribute[DEPTH]",
    "attribute[COVER]",
    "attribute[NEAR][]",
]
NASTY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e309",
        "NaN",
        "999999999999999999999999",
        "30.5",
        "120.1",
        "garbage",
        "manhole",
        "open,closed",
        "2026-02-30T25:61:00Z",
        "2010-01-01T00:00:00+14:00",
        "<x>&amp;</x>",
        "'; DROP TABLE matters_matter; --",
        "../../etc/passwd",
        "\x00",
        "\ud7ff\ue000",
        "🚧" * 50,
        "a" * 5000,
        "330122-20261122-000001",
    ]
)
VALUE = st.one_of(NASTY, st.text(max_size=60))
PARAMS = st.lists(st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=12)), VALUE), max_size=12)
PATHS = st.sampled_from(
    [
        "discovery",
        "services",
        "services/garbage",
        "services/manhole",
        "services/nope",
        "requests",
        "requests/330122-20261122-000001",
        "requests/x",
        "tokens/abc",
        "servicerequestupdates",
        "service/garbage",
        "request/x",
    ]
)
FORMATS = st.sampled_from(["json", "xml", "yaml", "JSON"])


def check(response: Any, fmt: str) -> None:
    assert response.status_code < 500, response.content[:300]
    if fmt.lower() not in ("json", "xml") or response.status_code in (301, 302, 405):
        return
    if fmt.lower() == "json":
        body = json.loads(response.content)
    else:
        root = ET.fromstring(response.content)  # noqa: S314  (our own output, in a test)
        body = root
    if response.status_code >= 400:
        assert response.status_code in (400, 403, 404), response.status_code
        if fmt.lower() == "json":
            assert isinstance(body, list)
            assert body
            assert all(set(e) == {"code", "description"} for e in body)
        else:
            assert body.tag == "errors"
            assert all(e.find("code") is not None and e.find("description") is not None for e in body)


@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@given(path=PATHS, fmt=FORMATS, params=PARAMS, keyed=st.booleans())
def test_reads_never_fail_and_always_answer_in_the_spec_shape(
    path: str, fmt: str, params: list[tuple[str, str]], keyed: bool, api_key: str, manhole: Any
) -> None:
    query = [(k, v) for k, v in params if "\x00" not in k]
    if keyed:
        query.append(("api_key", api_key))
    response = Client().get(f"{BASE}{path}.{fmt}?{urlencode(query)}")
    check(response, fmt)


@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@given(fmt=FORMATS, params=PARAMS, keyed=st.booleans())
def test_posts_never_fail_and_refusals_write_nothing(
    fmt: str, params: list[tuple[str, str]], keyed: bool, api_key: str, manhole: Any
) -> None:
    fields = list(params)
    if keyed:
        fields.append(("api_key", api_key))
    before = Matter.objects.count()
    response = Client().post(f"{BASE}requests.{fmt}", urlencode(fields), content_type=FORM)
    check(response, fmt)
    if response.status_code >= 400:
        assert Matter.objects.count() == before
