"""The audit trail: written with the change, append-only down to the database, searchable in scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from tests.factories import Net, square

from onegrid.audit import services as audit
from onegrid.audit.models import AppendOnlyError, AuditRecord

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]


def test_records_cannot_be_changed_or_deleted_through_the_orm(net: Net) -> None:
    record = AuditRecord.objects.first()
    assert record is not None
    record.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditrecord SET note = 'x'", "DELETE FROM audit_auditrecord"]
)
def test_the_database_refuses_to_change_or_delete_records(net: Net, statement: str) -> None:
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert "append-only" in str(caught.value)
    assert AuditRecord.objects.filter(note="x").count() == 0


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(net: Net) -> None:
    with pytest.raises(RuntimeError):
        audit.record(None, "test.action", net.county)


def test_a_change_through_the_api_records_actor_request_id_ip_and_diff(client_as: ClientAs, net: Net) -> None:
    client = client_as("manager")
    response = client.patch(
        f"/api/v1/areas/{net.grid_a1.code}",
        {"name": "新名字"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-1234567890",
    )
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == "req-1234567890"
    record = AuditRecord.objects.filter(action="areas.update").latest("id")
    assert (record.actor_label, record.request_id, record.ip) == ("manager", "req-1234567890", "127.0.0.1")
    assert record.before["name"] == "青山村第1网格"
    assert record.after["name"] == "新名字"
    assert record.area_path == net.grid_a1.path


def test_a_boundary_change_is_recorded_as_a_digest(client_as: ClientAs, net: Net) -> None:
    client_as("manager").patch(
        f"/api/v1/areas/{net.grid_a1.code}",
        {"geometry": square(120.0, 30.0, 120.2, 31.0)},
        content_type="application/json",
    )
    record = AuditRecord.objects.filter(action="areas.update").latest("id")
    assert record.before["geometry_wkb"].startswith("sha256:")
    assert record.before["geometry_wkb"] != record.after["geometry_wkb"]


def test_auditors_search_within_their_scope(client_as: ClientAs, people: dict[str, Any], net: Net) -> None:
    response = client_as("auditor").get("/api/v1/audit/?action=areas.create&limit=500")
    assert response.status_code == 200
    assert response.json()["count"] == 11
    county = client_as("county").get("/api/v1/audit/?object_type=areas.area&limit=500").json()
    assert {item["area_path"][:22] for item in county["items"]} == {net.county.path}
    assert client_as("gridworker").get("/api/v1/audit/").status_code == 403
    assert client_as(None).get("/api/v1/audit/").status_code == 401


def test_the_audit_page_lists_records_for_auditors(client_as: ClientAs, net: Net) -> None:
    page = client_as("auditor").get("/audit/?action=areas.create")
    assert page.status_code == 200
    assert "areas.create" in page.content.decode()
    assert client_as("gridworker").get("/audit/").status_code == 403
