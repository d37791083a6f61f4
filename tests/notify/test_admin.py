"""The back office: endpoints get a secret shown once, bad values are refused, dead deliveries retried."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from tests.factories import Net

from onegrid.access.models import User
from onegrid.audit.models import AuditRecord
from onegrid.notify import delivery, services
from onegrid.notify.models import Delivery, Status, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(net: Net) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw-root-123"))
    return client


def endpoint_form(net: Net, **changes: Any) -> dict[str, Any]:
    return {
        "name": "hotline",
        "url": "https://hotline.example.org/in",
        "area": net.county.pk,
        "events": '["drill.overdue"]',
        "categories": "[]",
        "active": "on",
    } | changes


def test_an_endpoint_added_in_the_back_office_gets_a_secret_shown_once(back_office: Client, net: Net) -> None:
    response = back_office.post("/admin/notify/webhookendpoint/add/", endpoint_form(net), follow=True)
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    assert endpoint.area_path == net.county.path
    assert AuditRecord.objects.filter(action="notify.webhookendpoint.create").exists()
    page = back_office.get(f"/admin/notify/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page


@pytest.mark.parametrize(
    ("changes", "error"),
    [({"url": "ftp://x.example.org/"}, "http://"), ({"events": '["drill.exploded"]'}, "unknown event")],
)
def test_the_back_office_refuses_what_the_api_refuses(
    back_office: Client, net: Net, changes: dict[str, Any], error: str
) -> None:
    response = back_office.post("/admin/notify/webhookendpoint/add/", endpoint_form(net, **changes))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_dead_deliveries_are_listed_and_retried(
    back_office: Client, people: dict[str, Any], net: Net, refused_url: str
) -> None:
    services.create_endpoint(actor=None, name="down", url=refused_url, area=net.county)
    with transaction.atomic():
        services.publish(event="drill.overdue", title="t", body="", area_path=net.grid_a1.path, payload={})
    now = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due(now=now)
        now += dt.timedelta(days=1)
    row = Delivery.objects.get()
    assert row.status == Status.DEAD
    listing = back_office.get("/admin/notify/delivery/?status__exact=dead")
    assert listing.status_code == 200
    assert "cannot connect" in listing.content.decode()
    back_office.post(
        "/admin/notify/delivery/", {"action": "retry_dead", "_selected_action": [row.pk]}, follow=True
    )
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 0)
