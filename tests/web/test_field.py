"""The grid-worker app without a browser: who may use it, replayed reports stored once, patrol
check-ins, tasks and on-site verification with a photo, the manifest and the service worker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.web.portal_flow import desk_fixture, png, resolve  # noqa: F401  (desk_fixture: `desk`)

from onegrid.audit.models import AuditRecord
from onegrid.matters import reports
from onegrid.matters.intake import Report
from onegrid.matters.models import Attachment, Matter, Patrol

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]
JSON = {"HTTP_ACCEPT": "application/json"}


def report(**extra: Any) -> dict[str, Any]:
    return {
        "category": "garbage",
        "title": "巷口垃圾堆积",
        "lon": "120.1",
        "lat": "30.5",
        "resident_name": "李四",
        "resident_phone": "13900139000",
    } | extra


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("site.png", png(), content_type="image/png")


def a_resolved_matter(net: Net, desk: Desk, people: dict[str, Any], lon: float = 120.1) -> Matter:
    submitted = reports.submit(
        actor=None,
        report=Report(channel="resident_app", category="garbage", title="路面破损", lon=lon, lat=30.5),
    )
    return resolve(submitted.matter, desk, people)


@pytest.mark.parametrize("page", ["/field/", "/field/tasks/", "/field/patrol/", "/field/report/"])
def test_the_app_is_for_grid_workers(client_as: ClientAs, page: str) -> None:
    assert Client().get(page)["Location"].startswith("/login/")
    assert client_as("resident").get(page).status_code == 403
    assert client_as("gridworker").get(page).status_code == 200


def test_a_report_sent_twice_with_one_key_is_stored_once(client_as: ClientAs, net: Net) -> None:
    worker = client_as("gridworker")
    key = "7f1c1f0e-8a4e-4b7a-9a53-2d3c0f1e9b11"
    first = worker.post("/field/report/", report(photo=photo()), HTTP_IDEMPOTENCY_KEY=key, **JSON)
    assert first.status_code == 201, first.content
    again = worker.post("/field/report/", report(photo=photo()), HTTP_IDEMPOTENCY_KEY=key, **JSON)
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["created"] is False
    assert again.json()["code"] == ""
    matter = Matter.objects.get()
    assert matter.channel == "grid_patrol"
    assert matter.reporter_phone == "13900139000"
    assert Attachment.objects.filter(matter=matter).count() == 1
    assert AuditRecord.objects.filter(action="matters.receive").count() == 1


def test_the_key_also_comes_as_a_form_field(client_as: ClientAs, net: Net) -> None:
    worker = client_as("gridworker")
    for _ in range(2):
        worker.post("/field/report/", report(idempotency_key="k-1"), **JSON)
    assert Matter.objects.count() == 1


def test_a_report_outside_the_workers_grids_is_refused_and_nothing_is_written(
    client_as: ClientAs, net: Net
) -> None:
    response = client_as("gridworker").post("/field/report/", report(lon="120.6"), **JSON)
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "lon"
    assert "不在您负责的网格内" in response.json()["detail"]
    assert Matter.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"category": ""}, "category"), ({"lon": "", "lat": ""}, "__all__"), ({"title": ""}, "title")],
)
def test_bad_reports_name_the_field_and_write_nothing(
    client_as: ClientAs, net: Net, changes: dict[str, str], field: str
) -> None:
    response = client_as("gridworker").post("/field/report/", report(**changes), **JSON)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Matter.objects.count() == 0


def test_a_non_image_photo_is_refused(client_as: ClientAs, net: Net) -> None:
    bad = SimpleUploadedFile("x.jpg", b"<?php echo 1;", content_type="image/jpeg")
    response = client_as("gridworker").post("/field/report/", report(photo=bad), **JSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "photo"
    assert Matter.objects.count() == 0


def test_without_the_script_the_form_posts_and_lands_on_the_task(client_as: ClientAs, net: Net) -> None:
    response = client_as("gridworker").post("/field/report/", report())
    number = Matter.objects.get().number
    assert response["Location"] == f"/field/tasks/{number}/"


def test_a_patrol_check_in_is_recorded_with_its_audit(
    client_as: ClientAs, net: Net, people: dict[str, Any]
) -> None:
    worker = client_as("gridworker")
    response = worker.post("/field/patrol/", {"grid": net.grid_a1.code, "note": "巡查正常", "photo": photo()})
    assert response.status_code == 200
    patrol = Patrol.objects.get()
    assert (patrol.worker, patrol.area, patrol.note) == (people["gridworker"], net.grid_a1, "巡查正常")
    assert patrol.photo_type == "image/png"
    assert AuditRecord.objects.filter(action="matters.patrol", object_id=str(patrol.pk)).exists()
    assert "巡查正常" in worker.get("/field/").content.decode()


def test_a_patrol_of_someone_elses_grid_is_refused(client_as: ClientAs, net: Net) -> None:
    response = client_as("gridworker").post("/field/patrol/", {"grid": net.grid_b1.code})
    assert response.status_code == 422
    assert Patrol.objects.count() == 0


def test_tasks_are_the_resolved_matters_of_my_grid_to_verify(
    client_as: ClientAs, net: Net, desk: Desk, people: dict[str, Any]
) -> None:
    mine = a_resolved_matter(net, desk, people)
    elsewhere = a_resolved_matter(net, desk, people, lon=120.6)
    page = client_as("gridworker").get("/field/tasks/").content.decode()
    assert mine.number in page
    assert elsewhere.number not in page
    assert "待现场核查" in page


def test_verifying_on_site_takes_the_step_with_a_photo(
    client_as: ClientAs, net: Net, desk: Desk, people: dict[str, Any]
) -> None:
    matter = a_resolved_matter(net, desk, people)
    worker = client_as("gridworker")
    page = worker.get(f"/field/tasks/{matter.number}/").content.decode()
    assert 'capture="environment"' in page
    without = worker.post(f"/field/tasks/{matter.number}/verify", {"note": "看过了"})
    assert without.status_code == 422
    matter.refresh_from_db()
    assert matter.status == "resolved"
    done = worker.post(f"/field/tasks/{matter.number}/verify", {"note": "现场已清理", "photo": photo()})
    assert done.status_code == 302
    matter.refresh_from_db()
    assert matter.status == "verified"
    attachment = Attachment.objects.get(matter=matter)
    assert attachment.event is not None
    assert attachment.event.action == "verify"


def test_a_matter_outside_my_grids_is_not_found(
    client_as: ClientAs, net: Net, desk: Desk, people: dict[str, Any]
) -> None:
    elsewhere = a_resolved_matter(net, desk, people, lon=120.6)
    worker = client_as("gridworker")
    assert worker.get(f"/field/tasks/{elsewhere.number}/").status_code == 404
    assert worker.post(f"/field/tasks/{elsewhere.number}/verify", {"photo": photo()}).status_code == 404


def test_my_grid_as_geojson(client_as: ClientAs, net: Net) -> None:
    body = client_as("gridworker").get("/field/grids.geojson").json()
    assert [f["properties"]["code"] for f in body["features"]] == [net.grid_a1.code]
    assert body["bbox"] == [120.0, 30.0, 120.25, 31.0]


def test_the_manifest_and_the_service_worker_keep_to_the_app(net: Net) -> None:
    manifest = Client().get("/field/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = json.loads(manifest.content)
    assert (body["scope"], body["start_url"], body["display"]) == ("/field/", "/field/", "standalone")
    assert {i["sizes"] for i in body["icons"]} >= {"192x192", "512x512"}
    worker = Client().get("/field/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/field/"
    text = worker.content.decode()
    assert '"/field/"' in text
    assert "/static/field/field.js" in text
    assert "&quot;" not in text


def test_the_task_list_keeps_to_a_query_budget(
    client_as: ClientAs, net: Net, desk: Desk, people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        a_resolved_matter(net, desk, people)
    worker = client_as("gridworker")
    with django_assert_max_num_queries(10):
        page = worker.get("/field/tasks/")
    assert page.content.decode().count("待现场核查") == 3
