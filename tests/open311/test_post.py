"""POST requests: what FixMyStreet and other clients send becomes a matter; bad keys and bad input are the
spec's errors, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.open311.conftest import BASE, FORM, errors_of, fms_fields, json_of, post_form, xml_of

from onegrid.access.models import ApiToken, User
from onegrid.access.services import create_token, revoke_token
from onegrid.audit.models import AuditRecord
from onegrid.matters.models import Category, Event, Matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_written() -> Iterator[None]:
    """The test's requests leave no matter, event or audit record behind (issuing keys is audited)."""
    records = AuditRecord.objects.exclude(action__startswith="access.")
    before = records.count()
    yield
    assert Matter.objects.count() == 0
    assert Event.objects.count() == 0
    assert records.count() == before


def cover_answers(**override: Any) -> dict[str, Any]:
    return {"attribute[DEPTH]": "40", "attribute[COVER]": "missing"} | override


def test_a_fixmystreet_report_becomes_an_open311_matter(desk: Desk, net: Net, api_key: str) -> None:
    response = post_form(Client(), fms_fields(api_key))
    assert response.status_code == 201, response.content
    (created,) = xml_of(response)
    number = created["service_request_id"]
    assert "token" not in created  # realtime: the id, never both
    assert response["Location"] == f"http://testserver{BASE}requests/{number}.xml"

    matter = Matter.objects.get(number=number)
    assert matter.channel == "open311"
    assert matter.category.code == "garbage"
    assert matter.area_id == net.grid_a1.pk
    assert matter.title == "小区门口垃圾无人清运"  # FixMyStreet's "title:" label taken off the first line
    assert matter.description.startswith("title: 小区门口垃圾无人清运\n\ndetail: 已经三天了")
    assert matter.reporter_name == "Pat Smith"
    assert matter.reporter_phone == "13800138000"
    assert matter.reporter is None
    assert matter.created_by is not None
    assert matter.created_by.username == "fixmystreet"
    submitted = Event.objects.get(matter=matter, action="open311")
    assert submitted.data["media_url"] == ["https://fms.example/photo/17.full.jpeg"]
    assert submitted.data["api_token"] == api_key.split("_")[1]


def test_personal_data_is_stored_encrypted_and_the_email_not_at_all(desk: Desk, api_key: str) -> None:
    number = xml_of(post_form(Client(), fms_fields(api_key)))[0]["service_request_id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM matters_matter WHERE number = %s", [number])
        row = " ".join(map(str, cursor.fetchone()))
        cursor.execute("SELECT data, note FROM matters_event")
        events = " ".join(map(str, cursor.fetchall()))
    for secret in ("13800138000", "Pat Smith", "pat@example.org"):
        assert secret not in row
        assert secret not in events


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_reply_has_the_spec_shape_in_both_formats(desk: Desk, api_key: str, fmt: str) -> None:
    response = post_form(Client(), fms_fields(api_key), fmt=fmt)
    assert response.status_code == 201
    body = xml_of(response) if fmt == "xml" else json_of(response)
    assert list(body[0]) == ["service_request_id", "service_notice"]
    assert isinstance(body[0]["service_request_id"], str)


def test_a_json_body_and_a_header_key_are_accepted(desk: Desk, api_key: str, manhole: Category) -> None:
    body = {
        "service_code": "manhole-cover",
        "lat": 30.5,
        "long": 120.1,
        "description": "井盖不见了",
        "attribute": {"DEPTH": 40, "COVER": "broken", "NEAR": ["school", "road"]},
    }
    response = Client().post(
        f"{BASE}requests.json",
        json.dumps(body),
        content_type="application/json",
        headers={"X-Api-Key": api_key},
    )
    assert response.status_code == 201, response.content
    event = Event.objects.get(action="open311")
    assert event.data["attributes"] == {"DEPTH": 40, "COVER": "broken", "NEAR": ["school", "road"]}
    assert "How deep (cm)?: 40" in event.note


def test_the_key_may_come_in_the_query_string_as_pypi_open311_sends_it(desk: Desk, api_key: str) -> None:
    response = Client().post(
        f"{BASE}requests.xml?api_key={api_key}&jurisdiction_id=x",
        "service_code=garbage&lat=30.5&long=120.1",
        content_type=FORM,
    )
    assert response.status_code == 201, response.content


def test_a_bearer_token_is_accepted_too(desk: Desk, api_key: str) -> None:
    fields = fms_fields(api_key)
    del fields["api_key"]
    response = post_form(Client(), fields, Authorization=f"Bearer {api_key}")
    assert response.status_code == 201, response.content


def test_a_multipart_post_is_read_like_a_form(desk: Desk, api_key: str) -> None:
    response = Client().post(f"{BASE}requests.json", fms_fields(api_key))  # the test client's multipart
    assert response.status_code == 201, response.content


def test_no_csrf_token_is_needed_since_only_the_key_counts(desk: Desk, api_key: str) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert post_form(strict, fms_fields(api_key)).status_code == 201


def test_a_signed_in_session_does_not_stand_in_for_a_key(
    desk: Desk, people: dict[str, Any], nothing_written: None
) -> None:
    client = Client()
    client.force_login(people["county"])
    fields = fms_fields("")
    response = post_form(client, fields)
    assert response.status_code == 403


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    "key",
    ["", "xyz", "og_0123456789_wrong-secret"],
    ids=["missing", "malformed", "wrong"],
)
def test_a_missing_or_wrong_key_is_403_and_writes_nothing(
    desk: Desk, fmt: str, key: str, nothing_written: None
) -> None:
    response = post_form(Client(), fms_fields(key), fmt=fmt)
    assert response.status_code == 403
    (error,) = errors_of(response, fmt)
    assert error["code"] == 403
    assert "api_key" in error["description"]


def test_a_revoked_or_expired_key_is_403(desk: Desk, integrator: User, nothing_written: None) -> None:
    row, revoked = create_token(actor=None, user=integrator, name="old", permissions=["matters.report"])
    revoke_token(actor=None, token=row)
    row, expired = create_token(actor=None, user=integrator, name="expired", permissions=["matters.report"])
    ApiToken.objects.filter(pk=row.pk).update(expires_at="2020-01-01T00:00:00Z")
    for key in (revoked, expired):
        assert post_form(Client(), fms_fields(key)).status_code == 403


def test_a_key_of_a_deactivated_account_is_403(desk: Desk, integrator: User, api_key: str) -> None:
    User.objects.filter(pk=integrator.pk).update(is_active=False)
    assert post_form(Client(), fms_fields(api_key)).status_code == 403
    assert Matter.objects.count() == 0


def test_a_key_without_report_or_create_is_403(desk: Desk, integrator: User, nothing_written: None) -> None:
    _, reader = create_token(actor=None, user=integrator, name="reader", permissions=["areas.locate"])
    response = post_form(Client(), fms_fields(reader), fmt="json")
    assert response.status_code == 403
    assert "matters.report" in errors_of(response, "json")[0]["description"]


def test_a_key_whose_owner_holds_no_grant_is_403(desk: Desk, nothing_written: None) -> None:
    owner = User.objects.create_user("nograntuser")
    _, key = create_token(actor=None, user=owner, name="x", permissions=["matters.report"])
    assert post_form(Client(), fms_fields(key)).status_code == 403


def test_a_place_outside_the_keys_area_is_403(
    desk: Desk, integrator: User, net: Net, nothing_written: None
) -> None:
    _, key = create_token(
        actor=None, user=integrator, name="east", permissions=["matters.report"], area=net.township_b
    )
    response = post_form(Client(), fms_fields(key), fmt="json")  # the point lies in township a
    assert response.status_code == 403
    assert "location" in errors_of(response, "json")[0]["description"]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"service_code": ""}, 400, "service_code is required"),
        ({"service_code": "no-such-thing"}, 404, "service_code 'no-such-thing' not found"),
        ({"service_code": "city-appearance"}, 404, "not found"),
        ({"lat": "45.0", "long": "100.0"}, 400, "lies in no grid"),
        ({"lat": "30.5", "long": ""}, 400, "send both lat and long"),
        ({"lat": "95", "long": "120.1"}, 400, "lat 95 is outside"),
        ({"lat": "north", "long": "120.1"}, 400, "lat must be a decimal number"),
        ({"lat": "", "long": "", "address_string": "", "address_id": ""}, 400, "a location is required"),
        ({"lat": "", "long": "", "address_id": "999999"}, 400, "address_id: unknown area"),
        ({"lat": "", "long": "", "address_string": "人民路 1 号"}, 400, "address_string alone"),
        ({"phone": "12345"}, 400, "phone:"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL"),
        ({"description": "x" * 10_001}, 400, "description"),
        ({"first_name": "x" * 101}, 400, "first_name and last_name together are longer"),
        ({"address_string": "x" * 301}, 400, "address_string: address is longer than 300"),
    ],
)
def test_bad_input_is_a_clear_error_in_the_spec_format(
    desk: Desk, api_key: str, fields: dict[str, Any], status: int, words: str, nothing_written: None
) -> None:
    response = post_form(Client(), fms_fields(api_key, **fields), fmt="json")
    assert response.status_code == status, response.content
    descriptions = " | ".join(e["description"] for e in errors_of(response, "json"))
    assert words in descriptions


def test_every_problem_is_reported_at_once(
    desk: Desk, api_key: str, manhole: Category, nothing_written: None
) -> None:
    fields = fms_fields(api_key, service_code="manhole-cover", lat="30.5", long="", phone="1")
    response = post_form(Client(), fields | {"attribute[COVER]": "stolen"}, fmt="xml")
    assert response.status_code == 400
    descriptions = [e["description"] for e in errors_of(response, "xml")]
    assert any("attribute[DEPTH] is required" in d for d in descriptions)
    assert any("attribute[COVER] 'stolen' is not one of the keys broken, missing" in d for d in descriptions)
    assert "send both lat and long" in descriptions
    assert any(d.startswith("phone:") for d in descriptions)


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"attribute[DEPTH]": "deep"}, "attribute[DEPTH] must be a number"),
        ({"attribute[DEPTH]": "inf"}, "attribute[DEPTH] must be a finite number"),
        ({"attribute[COVER]": ["missing", "broken"]}, "attribute[COVER] takes one value, not 2"),
        ({"attribute[NEAR][]": ["school", "river"]}, "attribute[NEAR] 'river' is not one of the keys"),
        ({"attribute[SEEN_AT]": "yesterday"}, "attribute[SEEN_AT] must be an ISO 8601 date"),
    ],
)
def test_answers_are_checked_against_the_definition(
    desk: Desk, api_key: str, manhole: Category, answers: dict[str, Any], problem: str, nothing_written: None
) -> None:
    fields = fms_fields(api_key, service_code="manhole-cover") | cover_answers(**answers)
    response = post_form(Client(), fields, fmt="json")
    assert response.status_code == 400
    assert any(problem in e["description"] for e in errors_of(response, "json"))


def test_good_answers_are_kept_and_others_dropped(desk: Desk, api_key: str, manhole: Category) -> None:
    fields = fms_fields(api_key, service_code="manhole-cover") | cover_answers(
        **{
            "attribute[NEAR][]": ["school", "road", "school"],
            "attribute[SEEN_AT]": "2026-11-20T08:00:00+08:00",
            "attribute[WARNING]": "ignored: information only",
            "attribute[easting]": "540315",  # FixMyStreet's own extras, unknown to the definition
            "attribute[email]": "pat@example.org",
        }
    )
    response = post_form(Client(), fields)
    assert response.status_code == 201, response.content
    answers = Event.objects.get(action="open311").data["attributes"]
    assert answers == {
        "DEPTH": 40,
        "COVER": "missing",
        "NEAR": ["school", "road"],
        "SEEN_AT": "2026-11-20T08:00:00+08:00",
    }


def test_a_misconfigured_definition_refuses_reports_with_a_400(
    desk: Desk, api_key: str, nothing_written: None
) -> None:
    Category.objects.filter(code="garbage").update(attributes={"not": "a list"})
    response = post_form(Client(), fms_fields(api_key), fmt="json")
    assert response.status_code == 400
    assert "misconfigured" in errors_of(response, "json")[0]["description"]


def test_a_retried_fixmystreet_send_returns_the_same_request(desk: Desk, api_key: str) -> None:
    first = post_form(Client(), fms_fields(api_key))
    again = post_form(Client(), fms_fields(api_key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert xml_of(first) == xml_of(again)
    assert Matter.objects.count() == 1
    assert Event.objects.filter(action="open311").count() == 1


def test_another_report_from_the_same_reporter_is_a_new_request(desk: Desk, api_key: str) -> None:
    post_form(Client(), fms_fields(api_key))
    other = fms_fields(api_key, description="title: 路灯不亮\n\nurl: https://fms.example/report/18\n")
    assert post_form(Client(), other).status_code == 201
    assert Matter.objects.count() == 2


def test_anonymous_identical_posts_are_separate_requests(desk: Desk, api_key: str) -> None:
    fields = {"api_key": api_key, "service_code": "garbage", "lat": "30.5", "long": "120.1"}
    assert [post_form(Client(), fields).status_code for _ in range(2)] == [201, 201]
    assert Matter.objects.count() == 2


def test_an_idempotency_key_returns_the_first_request_whatever_else_changed(desk: Desk, api_key: str) -> None:
    first = post_form(Client(), fms_fields(api_key), **{"Idempotency-Key": "fms-17"})
    changed = fms_fields(api_key, description="again, reworded")
    again = post_form(Client(), changed, **{"Idempotency-Key": "fms-17"})
    assert again.status_code == 200
    assert xml_of(again)[0]["service_request_id"] == xml_of(first)[0]["service_request_id"]
    assert Matter.objects.count() == 1


def test_fixmystreet_not_pinpointed_reports_use_address_id_or_the_keys_area(
    desk: Desk, integrator: User, net: Net, api_key: str
) -> None:
    placed = fms_fields(api_key, lat="", long="", address_id=net.grid_b1.code)
    number = xml_of(post_form(Client(), placed))[0]["service_request_id"]
    assert Matter.objects.get(number=number).area_id == net.grid_b1.pk

    _, local = create_token(
        actor=None, user=integrator, name="township", permissions=["matters.report"], area=net.township_a
    )
    fields = fms_fields(local, lat="", long="", address_id="#NOTPINPOINTED#", address_string="桐庐县城南街道")
    response = post_form(Client(), fields)
    assert response.status_code == 201, response.content
    matter = Matter.objects.get(number=xml_of(response)[0]["service_request_id"])
    assert (matter.area_id, matter.address, matter.lat) == (net.township_a.pk, "桐庐县城南街道", None)


def test_a_chinese_name_is_written_family_name_first(desk: Desk, api_key: str) -> None:
    fields = fms_fields(api_key, first_name="小明", last_name="王")
    number = xml_of(post_form(Client(), fields))[0]["service_request_id"]
    assert Matter.objects.get(number=number).reporter_name == "王小明"


def test_an_operator_key_with_create_takes_in_reports_too(desk: Desk, staff_key: str) -> None:
    assert post_form(Client(), fms_fields(staff_key)).status_code == 201
