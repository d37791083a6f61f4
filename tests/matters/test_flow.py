"""From a resident's report to a rated outcome, through the API, as each person does it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.factories import Net
from tests.matters.conftest import Desk

from onegrid.audit.models import AuditRecord
from onegrid.matters.models import Event, Matter

pytestmark = pytest.mark.django_db
JSON = "application/json"
ClientAs = Callable[[str | None], Client]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report(client: Client, **extra: Any) -> Any:
    body = {
        "channel": "resident_app",
        "category": "garbage",
        "title": "小区门口垃圾无人清运",
        "description": "<script>alert(1)</script> 已经三天了",
        "lon": 120.1,
        "lat": 30.5,
    } | extra
    return client.post("/api/v1/matters/", body, content_type=JSON)


def test_a_resident_report_goes_all_the_way_to_closed(client_as: ClientAs, desk: Desk, net: Net) -> None:
    created = report(client_as("resident"), idempotency_key="phone-1")
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert number.startswith("330122-")
    assert created.json()["area_code"] == net.grid_a1.code
    assert created.json()["status"] == "received"

    county = client_as("county")
    steps = county.get(f"/api/v1/matters/{number}").json()["steps"]
    assert "register" in steps
    assert "accept" not in steps
    assert county.post(f"/api/v1/matters/{number}/register", {}, content_type=JSON).status_code == 200
    dispatched = county.post(f"/api/v1/matters/{number}/dispatch", {"note": "请处理"}, content_type=JSON)
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["owner"] == desk.department.code

    handler = client_for(desk.handler)
    for step in ("accept", "start", "resolve"):
        response = handler.post(f"/api/v1/matters/{number}/{step}", {"note": "已清运"}, content_type=JSON)
        assert response.status_code == 200, (step, response.content)
    assert (
        client_as("gridworker").post(f"/api/v1/matters/{number}/verify", {}, content_type=JSON).status_code
        == 200
    )
    closed = county.post(f"/api/v1/matters/{number}/close", {}, content_type=JSON)
    assert closed.json()["status"] == "closed"

    matter = Matter.objects.get(number=number)
    assert matter.description.startswith("<script>")  # stored as text; escaping is the output's job
    actions = list(Event.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions == ["receive", "register", "dispatch", "accept", "start", "resolve", "verify", "close"]
    assert AuditRecord.objects.filter(object_type="matters.matter", object_id=str(matter.pk)).count() == 8

    mine = client_as("resident").get(f"/api/v1/matters/{number}").json()
    assert mine["steps"] == []
    assert all(e["note"] is None and e["actor"] is None for e in mine["timeline"])
    assert mine["timeline"][-1]["public_note"].startswith("Your report is closed")


def test_a_retried_post_with_the_same_key_returns_the_same_matter(client_as: ClientAs, desk: Desk) -> None:
    client = client_as("resident")
    first = report(client, idempotency_key="k-42")
    again = report(client, idempotency_key="k-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert Matter.objects.count() == 1


def test_an_illegal_step_is_409_and_changes_nothing(client_as: ClientAs, desk: Desk) -> None:
    number = report(client_as("resident")).json()["number"]
    response = client_as("county").post(f"/api/v1/matters/{number}/close", {}, content_type=JSON)
    assert response.status_code == 409
    assert Matter.objects.get(number=number).status == "received"
    assert Event.objects.filter(matter__number=number).count() == 1


def test_only_the_responsible_organisation_handles(client_as: ClientAs, desk: Desk) -> None:
    number = report(client_as("resident")).json()["number"]
    county = client_as("county")
    county.post(f"/api/v1/matters/{number}/register", {}, content_type=JSON)
    county.post(f"/api/v1/matters/{number}/dispatch", {}, content_type=JSON)
    outsider = client_for(desk.other_handler)
    assert outsider.post(f"/api/v1/matters/{number}/accept", {}, content_type=JSON).status_code == 403
    assert Matter.objects.get(number=number).status == "dispatched"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"category": "no-such"}, 422, "category"),
        ({"category": "city-appearance"}, 422, "category"),
        ({"lon": 100.0, "lat": 30.0}, 422, "location"),
        ({"lon": 500.0}, 422, "lon"),
        ({"title": ""}, 422, "title"),
        ({"channel": "pigeon"}, 422, "channel"),
        ({"reporter_phone": "123"}, 422, "reporter_phone"),
        ({"lat": "30.5"}, 422, "lat"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(
    client_as: ClientAs, desk: Desk, body: dict[str, Any], status: int, field: str
) -> None:
    response = report(client_as("resident"), **body)
    assert response.status_code == status, response.content
    assert field in response.content.decode()
    assert Matter.objects.count() == 0


def test_scope_matrix_for_a_matter(client_as: ClientAs, desk: Desk) -> None:
    number = report(client_as("resident")).json()["number"]
    url = f"/api/v1/matters/{number}"
    assert client_as(None).get(url).status_code == 401
    assert client_as("township_b").get(url).status_code == 404
    assert client_as("township").get(url).status_code == 200
    assert client_as("gridworker").get(url).status_code == 200
    assert [m["number"] for m in client_as("township_b").get("/api/v1/matters/").json()["items"]] == []
    assert client_as("nobody").get("/api/v1/matters/").status_code == 403


def test_dispatch_tells_the_responsible_organisation_and_resolving_tells_the_reporter(
    client_as: ClientAs, desk: Desk, people: dict[str, Any]
) -> None:
    number = report(client_as("resident")).json()["number"]
    county = client_as("county")
    county.post(f"/api/v1/matters/{number}/register", {}, content_type=JSON)
    county.post(f"/api/v1/matters/{number}/dispatch", {}, content_type=JSON)
    handler = client_for(desk.handler)
    inbox = handler.get("/api/v1/notify/inbox").json()["items"]
    assert [n["event"] for n in inbox] == ["matters.dispatched"]
    for step in ("accept", "resolve"):
        handler.post(f"/api/v1/matters/{number}/{step}", {}, content_type=JSON)
    events = [n["event"] for n in client_as("resident").get("/api/v1/notify/inbox").json()["items"]]
    assert sorted(events) == ["matters.accepted", "matters.resolved"]


def test_a_step_writes_what_it_changed_and_leaves_the_contact_details_as_stored(
    client_as: ClientAs, desk: Desk
) -> None:
    created = report(client_as("resident"), reporter_phone="13812345678", reporter_name="王小明")
    number = created.json()["number"]
    columns = ("reporter_phone", "reporter_phone_index", "reporter_name", "updated_at", "status")

    def stored() -> dict[str, Any]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM matters_matter WHERE number = %s",  # noqa: S608
                [number],
            )
            return dict(zip(columns, cursor.fetchone(), strict=True))

    before = stored()
    county = client_as("county")
    assert county.post(f"/api/v1/matters/{number}/register", {}, content_type=JSON).status_code == 200
    after = stored()
    # the ciphertexts (a new nonce each time they are encrypted) and the blind index are untouched
    for column in ("reporter_phone", "reporter_phone_index", "reporter_name"):
        assert after[column] == before[column]
        assert after[column]
    assert after["status"] == "registered"
    assert after["updated_at"] != before["updated_at"]
    matter = Matter.objects.get(number=number)
    assert matter.reporter_phone == "13812345678"
    assert matter.registered_at is not None
