"""/api/v1/notify with the scope matrix: 401 anonymous, 403 without the permission, 404 out of scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from tests.factories import Net, make_user

from onegrid.access.models import User
from onegrid.audit.models import AuditRecord
from onegrid.notify import delivery, services
from onegrid.notify.models import Delivery, Notification, Status, Subscription, WebhookEndpoint

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]
JSON = "application/json"
URL = "/api/v1/notify"


def publish(area: Any, recipients: list[Any] = [], title: str = "事项超期") -> Any:  # noqa: B006
    with transaction.atomic():
        return services.publish(
            event="drill.overdue",
            title=title,
            body="",
            area_path=area.path,
            category="road",
            payload={"number": "M1"},
            recipients=recipients,
        )


def hook(net_area: Any, url: str = "http://127.0.0.1:9/hook", name: str = "hook") -> WebhookEndpoint:
    return services.create_endpoint(actor=None, name=name, url=url, area=net_area)[0]


# --- inbox ------------------------------------------------------------------------------------------------


def test_the_inbox_lists_my_notifications_only_newest_first(
    client_as: ClientAs, people: dict[str, Any], net: Net
) -> None:
    publish(net.grid_a1, [people["gridworker"]], title="first")
    publish(net.grid_a1, [people["gridworker"], people["township"]], title="second")
    assert client_as(None).get(f"{URL}/inbox").status_code == 401
    mine = client_as("gridworker").get(f"{URL}/inbox").json()
    assert [n["title"] for n in mine["items"]] == ["second", "first"]
    assert mine["items"][0]["payload"] == {"number": "M1"}
    assert [n["title"] for n in client_as("township").get(f"{URL}/inbox").json()["items"]] == ["second"]
    assert client_as("county").get(f"{URL}/inbox").json() == {"items": [], "count": 0, "count_exact": True}


def test_marking_read_one_and_all(client_as: ClientAs, people: dict[str, Any], net: Net) -> None:
    for n in range(3):
        publish(net.grid_a1, [people["gridworker"], people["township"]], title=f"m{n}")
    worker = client_as("gridworker")
    assert worker.get(f"{URL}/inbox/unread-count").json() == {"unread": 3}
    first = worker.get(f"{URL}/inbox").json()["items"][0]
    read = worker.post(f"{URL}/inbox/{first['id']}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert [n["id"] for n in worker.get(f"{URL}/inbox?unread=true").json()["items"]] != [first["id"]]
    assert worker.get(f"{URL}/inbox?unread=true").json()["count"] == 2
    someone_elses = Notification.objects.filter(user=people["township"]).first()
    assert someone_elses is not None
    assert worker.post(f"{URL}/inbox/{someone_elses.pk}/read").status_code == 404
    assert worker.post(f"{URL}/inbox/read-all").json() == {"marked": 2}
    assert worker.get(f"{URL}/inbox/unread-count").json() == {"unread": 0}
    assert client_as("township").get(f"{URL}/inbox/unread-count").json() == {"unread": 3}


def test_the_inbox_reads_in_a_fixed_number_of_queries(
    client_as: ClientAs, people: dict[str, Any], net: Net, django_assert_max_num_queries: Any
) -> None:
    for n in range(20):
        publish(net.grid_a1, [people["gridworker"]], title=f"m{n}")
    client = client_as("gridworker")
    with django_assert_max_num_queries(6):
        assert len(client.get(f"{URL}/inbox?limit=20").json()["items"]) == 20


# --- subscriptions ----------------------------------------------------------------------------------------


def test_subscriptions_scope_matrix(client_as: ClientAs, people: dict[str, Any], net: Net) -> None:
    body = {"area_code": net.grid_a1.code, "events": ["drill.overdue"], "channels": ["inbox", "email"]}
    url = f"{URL}/subscriptions"
    assert client_as(None).post(url, body, content_type=JSON).status_code == 401
    assert client_as("resident").post(url, body, content_type=JSON).status_code == 403
    outside = client_as("township_b").post(url, body, content_type=JSON)
    assert outside.status_code == 404
    created = client_as("township").post(url, body, content_type=JSON)
    assert created.status_code == 201, created.content
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "area_code": net.grid_a1.code,
        "area_path": net.grid_a1.path,
        "categories": [],
        "events": ["drill.overdue"],
        "channels": ["email", "inbox"],
        "created_at": "",
    }
    assert list(Subscription.objects.values_list("user__username", flat=True)) == ["township"]
    assert AuditRecord.objects.filter(action="notify.subscription.create").count() == 1
    assert [s["id"] for s in client_as("township").get(url).json()] == [created.json()["id"]]
    assert client_as("county").get(url).json() == []


def test_subscriptions_are_changed_and_removed_only_by_their_owner(
    client_as: ClientAs, people: dict[str, Any], net: Net
) -> None:
    sub = services.create_subscription(actor=people["township"], area=net.township_a)
    url = f"{URL}/subscriptions/{sub.pk}"
    assert client_as("county").patch(url, {"channels": ["sms"]}, content_type=JSON).status_code == 404
    assert client_as("county").delete(url).status_code == 404
    changed = client_as("township").patch(
        url, {"channels": ["sms"], "area_code": net.grid_a2.code}, content_type=JSON
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["channels"], changed.json()["area_code"]) == (["sms"], net.grid_a2.code)
    moved_out = client_as("township").patch(url, {"area_code": net.grid_b1.code}, content_type=JSON)
    assert moved_out.status_code == 404
    assert Subscription.objects.get().area_path == net.grid_a2.path
    assert client_as("township").delete(url).status_code == 204
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["pigeon"]}, "channels"),
        ({"channels": []}, "channels"),
        ({"events": ["drill.exploded"]}, "events"),
        ({"categories": ["no spaces"]}, "categories"),
        ({"area_code": ""}, "area_code"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_subscriptions_name_the_field_and_write_nothing(
    client_as: ClientAs, net: Net, body: dict[str, Any], field: str
) -> None:
    response = client_as("township").post(
        f"{URL}/subscriptions", {"area_code": net.township_a.code} | body, content_type=JSON
    )
    assert response.status_code == 422
    assert field in response.content.decode()
    assert not Subscription.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="notify.").exists()


# --- webhook endpoints ------------------------------------------------------------------------------------


def test_webhooks_scope_matrix(client_as: ClientAs, people: dict[str, Any], net: Net) -> None:
    hook(net.township_a, name="a")
    hook(net.township_b, name="b")
    url = f"{URL}/webhooks"
    assert client_as(None).get(url).status_code == 401
    assert client_as("township").get(url).status_code == 403
    assert [w["name"] for w in client_as("county").get(url).json()["items"]] == ["a", "b"]
    body = {"name": "crm", "url": "https://crm.example.org/onegrid", "area_code": net.township_b.code}
    assert client_as("township").post(url, body, content_type=JSON).status_code == 403
    client = Client()  # an operator holding notify.manage_webhooks over township a only
    client.force_login(make_user("local", role="county_operator", area=net.township_a))
    assert [w["name"] for w in client.get(url).json()["items"]] == ["a"]
    assert client.post(url, body, content_type=JSON).status_code == 404
    b = WebhookEndpoint.objects.get(name="b")
    assert client.get(f"{url}/{b.pk}").status_code == 404
    assert client.patch(f"{url}/{b.pk}", {"active": False}, content_type=JSON).status_code == 404
    assert client.delete(f"{url}/{b.pk}").status_code == 404
    assert client.post(f"{url}/{b.pk}/rotate-secret").status_code == 404
    a = WebhookEndpoint.objects.get(name="a")
    moved_out = client.patch(f"{url}/{a.pk}", {"area_code": net.township_b.code}, content_type=JSON)
    assert moved_out.status_code == 404
    assert WebhookEndpoint.objects.filter(area_path=net.township_b.path).count() == 1


def test_the_secret_is_shown_once_then_masked_and_rotation_shows_the_new_one(
    client_as: ClientAs, net: Net
) -> None:
    client = client_as("county")
    created = client.post(
        f"{URL}/webhooks",
        {"name": "12345", "url": "http://127.0.0.1:8001/in", "area_code": net.county.code, "events": []},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret
    assert endpoint.created_by == User.objects.get(username="county")
    shown = client.get(f"{URL}/webhooks/{endpoint.pk}").json()
    assert shown["secret"] == "whsec_…"
    assert secret not in client.get(f"{URL}/webhooks").content.decode()
    rotated = client.post(f"{URL}/webhooks/{endpoint.pk}/rotate-secret").json()["secret"]
    assert rotated != secret
    endpoint.refresh_from_db()
    assert endpoint.secret == rotated
    records = AuditRecord.objects.filter(action__startswith="notify.webhook").order_by("id")
    assert [r.action for r in records] == ["notify.webhook.create", "notify.webhook.rotate_secret"]
    assert secret not in str([(r.before, r.after) for r in records])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org/in"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "http://user:pw@example.org/"}, "url"),
        ({"url": "https://"}, "url"),
        ({"events": ["drill.exploded"]}, "events"),
        ({"categories": ["a b"]}, "categories"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_webhooks_name_the_field_and_write_nothing(
    client_as: ClientAs, net: Net, body: dict[str, Any], field: str
) -> None:
    good = {"name": "crm", "url": "https://crm.example.org/onegrid", "area_code": net.county.code}
    response = client_as("county").post(f"{URL}/webhooks", good | body, content_type=JSON)
    assert response.status_code == 422
    assert field in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="notify.").exists()


def test_a_webhook_is_changed_and_removed(client_as: ClientAs, net: Net) -> None:
    endpoint = hook(net.township_a)
    client = client_as("county")
    changed = client.patch(
        f"{URL}/webhooks/{endpoint.pk}",
        {"active": False, "events": ["drill.rated"], "url": "https://new.example.org/"},
        content_type=JSON,
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["active"], changed.json()["events"]) == (False, ["drill.rated"])
    refused = client.patch(f"{URL}/webhooks/{endpoint.pk}", {"url": "gopher://x"}, content_type=JSON)
    assert refused.status_code == 422
    assert WebhookEndpoint.objects.get().url == "https://new.example.org/"
    assert client.delete(f"{URL}/webhooks/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


# --- deliveries -------------------------------------------------------------------------------------------


def test_deliveries_scope_matrix_status_filter_and_retry(
    client_as: ClientAs, people: dict[str, Any], net: Net, refused_url: str
) -> None:
    hook(net.township_a, url=refused_url, name="a")
    hook(net.township_b, url=refused_url, name="b")
    publish(net.grid_a1)
    publish(net.grid_b1)
    url = f"{URL}/deliveries"
    assert client_as(None).get(url).status_code == 401
    assert client_as("township").get(url).status_code == 403
    assert client_as("county").get(url).json()["count"] == 2
    auditor = client_as("auditor")
    assert auditor.get(f"{url}?status=pending").json()["count"] == 2
    assert auditor.get(f"{url}?status=bogus").status_code == 422
    client = Client()  # an auditor of township a only
    client.force_login(make_user("local", role="auditor", area=net.township_a))
    listed = client.get(url).json()["items"]
    assert [d["area_path"] for d in listed] == [net.grid_a1.path]
    now = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        assert delivery.deliver_due(now=now) == 2
        now += dt.timedelta(days=1)
    dead = client.get(f"{url}?status=dead").json()["items"]
    assert [d["status"] for d in dead] == ["dead"]
    assert dead[0]["next_attempt_at"] is None
    assert dead[0]["last_error"].startswith("cannot connect")
    other = Delivery.objects.get(area_path=net.grid_b1.path)
    assert client.post(f"{url}/{other.pk}/retry").status_code == 404
    retried = client.post(f"{url}/{dead[0]['id']}/retry")
    assert retried.status_code == 200, retried.content
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    assert client.post(f"{url}/{dead[0]['id']}/retry").status_code == 409
    assert AuditRecord.objects.filter(action="notify.delivery.retry").count() == 1
    assert Delivery.objects.get(pk=dead[0]["id"]).status == Status.PENDING


def test_events_are_listed_for_anyone_signed_in(client_as: ClientAs) -> None:
    assert client_as(None).get(f"{URL}/events").status_code == 401
    names = [e["name"] for e in client_as("resident").get(f"{URL}/events").json()]
    assert {"drill.dispatched", "drill.overdue", "drill.rated"} <= set(names)
