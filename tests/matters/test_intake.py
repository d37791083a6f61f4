"""Intake: the reporter's e-mail, answers to the category's questions, the configuration held per process,
and how many queries one matter costs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.open311.conftest import DEFINITION, IN_GRID_A1, post_form

from onegrid.access.services import create_token
from onegrid.audit.models import AuditRecord
from onegrid.kit.fields import blind_index
from onegrid.matters.models import Category, Event, Matter

pytestmark = pytest.mark.django_db
JSON = "application/json"
ClientAs = Callable[[str | None], Client]


def report(client: Client, **extra: Any) -> Any:
    body = {
        "channel": "hotline_12345",
        "category": "garbage",
        "title": "小区门口垃圾无人清运",
        "lon": 120.1,
        "lat": 30.5,
    } | extra
    return client.post("/api/v1/matters/", body, content_type=JSON)


@pytest.fixture
def manhole(db: Any) -> Category:
    category = Category.objects.get(code="manhole-cover")
    category.attributes = DEFINITION
    category.save()
    return category


def test_the_reporters_email_is_kept_encrypted_and_shown_masked(client_as: ClientAs, desk: Desk) -> None:
    created = report(
        client_as("county"), reporter_email=" Zhang.San@Example.COM ", reporter_phone="13800138000"
    )
    assert created.status_code == 201, created.content
    assert created.json()["reporter_email"] == "z********@example.com"
    assert created.json()["reporter_phone"] == "138****8000"
    matter = Matter.objects.get(number=created.json()["number"])
    assert matter.reporter_email == "zhang.san@example.com"
    assert matter.reporter_email_index == blind_index("zhang.san@example.com", purpose="email")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_email FROM matters_matter WHERE id = %s", [matter.pk])
        (stored,) = cursor.fetchone()
    assert "example.com" not in stored
    shown = client_as("county").get(f"/api/v1/matters/{matter.number}").json()
    assert shown["reporter_email"] == "z********@example.com"


def test_the_audit_trail_records_no_contact_details(client_as: ClientAs, desk: Desk) -> None:
    report(
        client_as("county"),
        reporter_email="li@example.com",
        reporter_phone="13800138000",
        reporter_name="李四",
    )
    (record,) = AuditRecord.objects.filter(action="matters.receive")
    text = json.dumps(record.after, ensure_ascii=False)
    assert "li@example.com" not in text
    assert "13800138000" not in text
    assert "李四" not in text
    assert record.after["reporter_email"] == "<set>"


def test_an_anonymous_report_keeps_no_email(client_as: ClientAs, desk: Desk) -> None:
    created = report(client_as("county"), reporter_email="li@example.com", anonymous=True)
    assert created.status_code == 201, created.content
    assert Matter.objects.get().reporter_email == ""


@pytest.mark.parametrize(
    "email", ["not-an-address", "a@b", "two@example.com,three@example.com", "x" * 250 + "@e.cn"]
)
def test_a_bad_email_is_refused_and_nothing_written(client_as: ClientAs, desk: Desk, email: str) -> None:
    response = report(client_as("county"), reporter_email=email)
    assert response.status_code == 422, response.content
    assert "reporter_email" in response.content.decode()
    assert Matter.objects.count() == 0


def test_answers_to_the_categorys_questions_are_kept(
    client_as: ClientAs, desk: Desk, manhole: Category
) -> None:
    answers = {
        "DEPTH": 40,
        "COVER": "missing",
        "NEAR": ["school", "road", "school"],
        "SEEN_AT": "2026-11-20T08:30:00+08:00",
    }
    created = report(client_as("county"), category="manhole-cover", extra=answers)
    assert created.status_code == 201, created.content
    kept = {
        "DEPTH": 40,
        "COVER": "missing",
        "NEAR": ["school", "road"],
        "SEEN_AT": "2026-11-20T08:30:00+08:00",
    }
    assert Matter.objects.get().extra == kept
    assert created.json()["extra"] == kept
    assert client_as("county").get(f"/api/v1/matters/{created.json()['number']}").json()["extra"] == kept


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"COVER": "missing"}, "extra.DEPTH", "is required"),
        ({"DEPTH": "deep", "COVER": "missing"}, "extra.DEPTH", "must be a number"),
        ({"DEPTH": 40, "COVER": "stolen"}, "extra.COVER", "is not one of the keys"),
        ({"DEPTH": 40, "COVER": ["missing", "broken"]}, "extra.COVER", "takes one value"),
        ({"DEPTH": 40, "COVER": "missing", "COLOUR": "red"}, "extra.COLOUR", "asks no question"),
        ({"DEPTH": 40, "COVER": "missing", "WARNING": "ok"}, "extra.WARNING", "asks no question"),
        ({"DEPTH": 40, "COVER": "missing", "SEEN_AT": "yesterday"}, "extra.SEEN_AT", "ISO 8601"),
        ({"DEPTH": True, "COVER": "missing"}, "extra.DEPTH", ""),
    ],
)
def test_bad_answers_are_refused_naming_the_question(
    client_as: ClientAs, desk: Desk, manhole: Category, extra: dict[str, Any], field: str, words: str
) -> None:
    response = report(client_as("county"), category="manhole-cover", extra=extra)
    assert response.status_code == 422, response.content
    assert field.removeprefix("extra.") in response.content.decode()
    if words:
        assert response.json()["field"] == field
        assert words in response.json()["detail"]
    assert Matter.objects.count() == 0
    assert Event.objects.count() == 0


def test_answers_to_a_category_without_questions_are_refused(client_as: ClientAs, desk: Desk) -> None:
    response = report(client_as("county"), extra={"DEPTH": 40})
    assert response.status_code == 422
    assert response.json()["field"] == "extra.DEPTH"


def test_staff_out_of_the_participants_see_no_contact_or_answers(
    client_as: ClientAs, desk: Desk, manhole: Category
) -> None:
    created = report(
        client_as("resident"),
        channel="resident_app",
        category="manhole-cover",
        extra={"DEPTH": 10, "COVER": "broken"},
        reporter_email="me@example.com",
    )
    assert created.status_code == 201, created.content
    mine = client_as("resident").get(f"/api/v1/matters/{created.json()['number']}").json()
    assert mine["extra"] == {}
    assert mine["reporter_email"] == ""


def test_open311_keeps_the_email_and_the_answers(
    desk: Desk, net: Net, manhole: Category, people: Any
) -> None:
    _, key = create_token(actor=None, user=people["county"], name="desk", permissions=["matters.create"])
    fields = {
        "api_key": key,
        "service_code": "manhole-cover",
        "description": "井盖丢了",
        "email": "Pat@Example.org",
        "attribute[DEPTH]": "40",
        "attribute[COVER]": "missing",
        "attribute[NEAR][]": ["school"],
        "attribute[FMS_EXTRA]": "dropped",
    } | IN_GRID_A1
    response = post_form(Client(), fields, "json")
    assert response.status_code == 201, response.content
    matter = Matter.objects.get()
    assert matter.reporter_email == "pat@example.org"
    assert matter.extra == {"DEPTH": 40, "COVER": "missing", "NEAR": ["school"]}


def test_open311_refuses_a_bad_email_naming_it(desk: Desk, net: Net, people: Any) -> None:
    _, key = create_token(actor=None, user=people["county"], name="desk", permissions=["matters.create"])
    fields = {"api_key": key, "service_code": "garbage", "description": "垃圾", "email": "pat@"} | IN_GRID_A1
    response = post_form(Client(), fields, "json")
    assert response.status_code == 400, response.content
    assert "email" in response.content.decode()
    assert Matter.objects.count() == 0


def test_a_changed_configuration_is_seen_by_the_next_intake(client_as: ClientAs, desk: Desk) -> None:
    county = client_as("county")
    assert report(county, idempotency_key="a").status_code == 201
    garbage = Category.objects.get(code="garbage")
    garbage.is_active = False
    garbage.save()
    refused = report(county, idempotency_key="b")
    assert refused.status_code == 422
    assert refused.json()["field"] == "category"


def test_the_routing_suggestion_is_on_the_receive_event(client_as: ClientAs, desk: Desk) -> None:
    created = report(client_as("county"), category="garbage")
    event = Event.objects.get(matter__number=created.json()["number"], action="receive")
    assert event.data == {"suggested_owner": desk.department.code}  # garbage is city appearance


def test_intake_keeps_to_its_query_budget(
    client_as: ClientAs, desk: Desk, django_assert_max_num_queries: Any
) -> None:
    """Session, permissions, the configuration token, the area, the number, three inserts, the
    notification lookups and the transaction: the budget that keeps intake fast (docs/benchmarks.md)."""
    county = client_as("county")
    report(county)  # the first request of a process loads the configuration
    with django_assert_max_num_queries(15):
        response = report(county, reporter_email="a@example.com", reporter_phone="13800138000")
    assert response.status_code == 201, response.content


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the query plan asked of SQLite")
def test_a_retried_key_is_found_through_the_idempotency_index(people: dict[str, Any]) -> None:
    """The lookup of an idempotency key reads the partial unique index, not every matter the caller
    ever sent (a hotline system sends hundreds of thousands)."""
    from onegrid.matters import selectors

    plan = selectors.keyed(people["county"]).filter(idempotency_key="k-1").explain()
    assert "matter_idempotency_key" in plan, plan
    with CaptureQueriesContext(connection) as seen:
        assert selectors.earlier(people["county"], "k-1") is None
    (query,) = seen.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])  # the statement as earlier() sent it
        assert "matter_idempotency_key" in str(cursor.fetchall())
