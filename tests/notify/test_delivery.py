"""The worker sends what was committed: e-mail, SMS and signed webhooks, retried with backoff."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from tests.factories import Net, make_user
from tests.notify.conftest import Receiver

from onegrid.access.models import User
from onegrid.kit.errors import Conflict
from onegrid.notify import delivery, services
from onegrid.notify.models import Delivery, Message, Status, WebhookEndpoint

pytestmark = pytest.mark.django_db


def dispatched(net: Net, recipients: list[User] = [], **extra: Any) -> Message:  # noqa: B006
    with transaction.atomic():
        message = services.publish(
            event="drill.dispatched",
            title="事项已派遣给您",
            body="Pothole at the east gate.",
            area_path=net.grid_a1.path,
            category="road",
            link="/matters/M7/",
            payload={"number": "M7", "deadline": "2025-05-02T10:00:00+08:00"},
            recipients=recipients,
            **extra,
        )
    assert message is not None
    return message


def endpoint(actor: User, net: Net, url: str) -> str:
    """Add an endpoint over the county; returns its secret."""
    return services.create_endpoint(actor=actor, name="12345 hotline", url=url, area=net.county)[1]


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_the_sweep_sends_email_to_the_users_address(net: Net, mailoutbox: list[Any], settings: Any) -> None:
    settings.NOTIFY_SITE_URL = "https://grid.example.gov.cn"
    handler = make_user("handler", role="grid_worker", area=net.grid_a1, email="handler@example.org")
    dispatched(net, [handler], channels=["email"])
    assert delivery.deliver_due() == 1
    (mail,) = mailoutbox
    assert (mail.to, mail.subject) == (["handler@example.org"], "事项已派遣给您")
    assert "https://grid.example.gov.cn/matters/M7/" in mail.body
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.sent_at is not None) == (Status.SENT, 1, True)
    assert delivery.deliver_due() == 0


def test_the_sweep_sends_texts_through_the_gateway(net: Net, texts: list[tuple[str, str]]) -> None:
    handler = make_user("handler", role="grid_worker", area=net.grid_a1)
    handler.phone = "13912345678"
    handler.save()
    dispatched(net, [handler])
    assert delivery.deliver_due() == 1
    assert texts == [("13912345678", "事项已派遣给您")]
    assert Delivery.objects.get().status == Status.SENT


def test_webhooks_arrive_signed_at_a_real_receiver(
    people: dict[str, Any], net: Net, receiver: Receiver
) -> None:
    receiver.secret = endpoint(people["admin"], net, receiver.url)
    message = dispatched(net)
    assert delivery.deliver_due() == 1
    (hit,) = receiver.hits
    assert hit.verified
    assert hit.headers["X-OneGrid-Event"] == "drill.dispatched"
    assert hit.headers["X-OneGrid-Delivery"] == str(Delivery.objects.get().pk)
    assert hit.headers["X-OneGrid-Signature"].startswith("sha256=")
    assert json.loads(hit.body) == {
        "id": str(message.uid),
        "event": "drill.dispatched",
        "occurred_at": message.occurred_at.isoformat(),
        "area_path": net.grid_a1.path,
        "category": "road",
        "payload": {"number": "M7", "deadline": "2025-05-02T10:00:00+08:00"},
    }
    assert Delivery.objects.get().status == Status.SENT


def test_a_failing_endpoint_is_retried_with_backoff_until_dead(
    people: dict[str, Any], net: Net, receiver: Receiver
) -> None:
    receiver.secret = endpoint(people["admin"], net, receiver.url)
    receiver.status = 500
    dispatched(net)
    now = timezone.now()
    for attempt, delay in enumerate(delivery.RETRY_DELAYS, start=1):
        assert delivery.deliver_due(now=now) == 1
        row = Delivery.objects.get()
        assert (row.status, row.attempts, row.last_error) == (
            Status.FAILED,
            attempt,
            "HTTP 500 Internal Server Error",
        )
        wait = (row.next_attempt_at - now).total_seconds()
        assert delay * 0.8 <= wait <= delay * 1.2
        assert delivery.deliver_due(now=now + dt.timedelta(seconds=wait - 1)) == 0  # not before its time
        now = row.next_attempt_at
    assert delivery.deliver_due(now=now) == 1
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (Status.DEAD, delivery.MAX_ATTEMPTS)
    assert delivery.deliver_due(now=now + dt.timedelta(days=30)) == 0
    assert len(receiver.hits) == delivery.MAX_ATTEMPTS
    assert len(set(receiver.deliveries())) == 1  # every retry carries the same delivery id
    assert all(hit.verified for hit in receiver.hits)  # each attempt signed afresh


def test_a_refused_connection_is_retried_then_succeeds_after_an_administrator_retries_the_dead(
    people: dict[str, Any], net: Net, refused_url: str, receiver: Receiver
) -> None:
    endpoint(people["admin"], net, refused_url)
    dispatched(net)
    now = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        assert delivery.deliver_due(now=now) == 1
        now += dt.timedelta(days=1)
    row = Delivery.objects.get()
    assert row.status == Status.DEAD
    assert row.last_error.startswith("cannot connect")
    row.endpoint.url = receiver.url  # type: ignore[union-attr]
    row.endpoint.save()  # type: ignore[union-attr]
    receiver.secret = row.endpoint.secret  # type: ignore[union-attr]
    services.retry(actor=people["admin"], delivery_row=row)
    assert delivery.deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert [h.verified for h in receiver.hits] == [True]


def test_a_switched_off_endpoint_makes_its_deliveries_dead_at_once(
    people: dict[str, Any], net: Net, receiver: Receiver
) -> None:
    endpoint(people["admin"], net, receiver.url)
    dispatched(net)
    WebhookEndpoint.objects.update(active=False)
    assert delivery.deliver_due() == 1
    row = Delivery.objects.get()
    assert (row.status, row.last_error) == (Status.DEAD, "the endpoint is switched off")
    assert receiver.hits == []


def test_a_gateway_that_is_down_is_retried(net: Net, settings: Any) -> None:
    settings.NOTIFY_SMS_GATEWAY = "tests.notify.gateways.Refusing"
    handler = make_user("handler", role="grid_worker", area=net.grid_a1)
    handler.phone = "13912345678"
    handler.save()
    dispatched(net, [handler])
    assert delivery.deliver_due() == 1
    row = Delivery.objects.get()
    assert (row.status, row.last_error) == (Status.FAILED, "gateway unavailable")


def test_a_delivery_claimed_by_a_worker_that_died_is_taken_again_after_its_lease(
    people: dict[str, Any], net: Net, receiver: Receiver
) -> None:
    receiver.secret = endpoint(people["admin"], net, receiver.url)
    dispatched(net)
    now = timezone.now()
    _, rows = delivery.claim(now=now)  # ... and the worker dies before sending
    assert [r.status for r in rows] == [Status.SENDING]
    assert delivery.deliver_due(now=now + delivery.LEASE - dt.timedelta(seconds=1)) == 0
    assert delivery.deliver_due(now=now + delivery.LEASE) == 1
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(receiver.hits) == 1


def test_retrying_anything_but_a_dead_delivery_is_a_conflict(
    people: dict[str, Any], net: Net, receiver: Receiver
) -> None:
    endpoint(people["admin"], net, receiver.url)
    dispatched(net)
    with pytest.raises(Conflict):
        services.retry(actor=people["admin"], delivery_row=Delivery.objects.get())


@pytest.mark.django_db(transaction=True)
def test_onegrid_worker_delivers_after_commit(net: Net, mailoutbox: list[Any]) -> None:
    handler = make_user("handler", role="grid_worker", area=net.grid_a1, email="handler@example.org")
    dispatched(net, [handler], channels=["email"])  # a real commit: the kick runs
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert [m.to for m in mailoutbox] == [["handler@example.org"]]
    assert "notify.deliver: 1" in out.getvalue()
