"""A corpus of bad input thrown at the intake of matters, the busiest door: malformed and truncated JSON,
wrong types, deep nesting, huge bodies, impossible coordinates, unicode edge cases. Each answer is a
clear 4xx naming the field where there is one, and nothing is written. Text that looks like SQL or
script is stored as given and shown escaped on every page that shows it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from onegrid.audit.models import AuditRecord
from onegrid.matters.models import Matter

pytestmark = pytest.mark.django_db
URL = "/api/v1/matters/"
GOOD = {"channel": "hotline_12345", "category": "garbage", "title": "垃圾", "lon": 120.1, "lat": 30.5}


def post(client: Client, raw: bytes | str, content_type: str = "application/json") -> Any:
    return client.post(URL, raw, content_type=content_type)


RAW = {
    "empty": b"",
    "truncated": json.dumps(GOOD)[:-7].encode(),
    "not-json": b"channel=hotline_12345&title=x",
    "a-list": b"[]",
    "a-string": b'"matter"',
    "null": b"null",
    "nan": json.dumps(GOOD).replace("120.1", "NaN").encode(),
    "infinity": json.dumps(GOOD).replace("30.5", "Infinity").encode(),
    "deep-nesting": json.dumps(GOOD | {"tags": None}).replace("null", "[" * 5000 + "]" * 5000).encode(),
    "invalid-utf8": json.dumps(GOOD).encode().replace(b"\\u5783", b"\xff\xfe"),
    "bom": b"\xef\xbb\xbf" + json.dumps(GOOD | {"title": "\u5783"}).encode() + b"}",
    "unknown-field": json.dumps(GOOD | {"is_admin": True}).encode(),
    "nul-in-text": json.dumps(GOOD | {"title": "a\x00b"}).encode(),
}

FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"lon": "120.1"}, "lon"),
    ({"lon": True}, "lon"),
    ({"lat": 91}, "lat"),
    ({"lon": -181}, "lon"),
    ({"lon": 120.1, "lat": None}, "lat"),
    ({"title": "x" * 201}, "title"),
    ({"title": 12}, "title"),
    ({"tags": "a,b"}, "tags"),
    ({"tags": ["t"] * 21}, "tags"),
    ({"priority": "whenever"}, "priority"),
    ({"crs": "epsg:3857"}, "crs"),
    ({"area_code": "9" * 19}, "area_code"),
    ({"area_code": "../../etc/passwd", "lon": None, "lat": None}, "area_code"),
    ({"reporter_phone": "12345678901"}, "reporter_phone"),
    ({"reporter_phone": "' OR 1=1 --"}, "reporter_phone"),
    ({"reporter_email": "not-an-address"}, "reporter_email"),
    ({"idempotency_key": "k" * 101}, "idempotency_key"),
]


@pytest.fixture
def operator(client_as: Any) -> Client:
    client: Client = client_as("county")
    return client


@pytest.mark.parametrize("name", sorted(RAW))
def test_malformed_bodies_are_refused_and_nothing_is_written(operator: Client, name: str) -> None:
    records = AuditRecord.objects.count()
    response = post(operator, RAW[name])
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert body["detail"]
    assert Matter.objects.count() == 0
    assert AuditRecord.objects.count() == records


@pytest.mark.parametrize(("change", "field"), FIELDS, ids=[f for _c, f in FIELDS])
def test_bad_fields_are_named_and_nothing_is_written(
    operator: Client, change: dict[str, Any], field: str
) -> None:
    response = post(operator, json.dumps(GOOD | change, ensure_ascii=False))
    assert response.status_code == 422, response.content[:300]
    assert field in (response.json().get("field") or "") or field in response.json()["detail"]
    assert Matter.objects.count() == 0


def test_a_body_over_the_limit_is_413_before_it_is_read(operator: Client, settings: Any) -> None:
    settings.MAX_BODY_BYTES = 1024
    response = post(operator, json.dumps(GOOD | {"description": "长" * 2000}, ensure_ascii=False))
    assert response.status_code == 413
    assert Matter.objects.count() == 0


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script>",
        "'; DROP TABLE matters_matter; --",
        '"><img src=x onerror=alert(1)>',
        "{{ settings.SECRET_KEY }}",
        "‮RTL override‬ and zero​width",
        "𠀋𡈽𡌛 emoji 🚧 and combining é",
    ],
)
def test_hostile_text_is_kept_as_given_and_escaped_where_shown(operator: Client, text: str) -> None:
    response = post(operator, json.dumps(GOOD | {"title": text, "description": text}, ensure_ascii=False))
    assert response.status_code == 201, response.content[:300]
    matter = Matter.objects.get(number=response.json()["number"])
    assert (matter.title, matter.description) == (text, text)
    assert Matter.objects.count() == 1  # and the table is still there
    page = operator.get(f"/centre/matters/{matter.number}/").content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "SECRET_KEY" not in page or "{{ settings.SECRET_KEY }}" in page.replace("&#x27;", "'")
